/// discovery.k8s.io/v1 `EndpointSlice`: which endpoints of a Service are ready, and on which node.
public struct EndpointSlice: KubeResource, Hashable {
    public static let apiVersion = "discovery.k8s.io/v1"
    public static let kind = "EndpointSlice"
    public static let plural = "endpointslices"
    public static let namespaced = true
    /// The label naming the Service a slice belongs to.
    public static let serviceNameLabel = "kubernetes.io/service-name"

    public var apiVersion: String? = EndpointSlice.apiVersion
    public var kind: String? = EndpointSlice.kind
    public var metadata: ObjectMeta
    public var addressType: String
    public var endpoints: [Endpoint]?
    public var ports: [Port]?

    /// Creates a slice.
    public init(metadata: ObjectMeta, addressType: String = "IPv4", endpoints: [Endpoint]? = nil, ports: [Port]? = nil)
    {
        self.metadata = metadata
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
    }

    /// `Endpoint`.
    public struct Endpoint: Codable, Sendable, Hashable {
        public var addresses: [String]
        public var conditions: Conditions?
        public var nodeName: String?
        public var hostname: String?

        /// Creates an endpoint.
        public init(addresses: [String], conditions: Conditions? = nil, nodeName: String? = nil) {
            self.addresses = addresses
            self.conditions = conditions
            self.nodeName = nodeName
        }
    }

    /// `EndpointConditions`.
    public struct Conditions: Codable, Sendable, Hashable {
        public var ready: Bool?
        public var serving: Bool?
        public var terminating: Bool?

        /// Creates conditions.
        public init(ready: Bool? = nil, serving: Bool? = nil, terminating: Bool? = nil) {
            self.ready = ready
            self.serving = serving
            self.terminating = terminating
        }
    }

    /// `EndpointPort`.
    public struct Port: Codable, Sendable, Hashable {
        public var name: String?
        public var `protocol`: String?
        public var port: Int?
    }
}
