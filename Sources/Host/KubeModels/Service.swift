/// core/v1 `Service`: what Herald reads (type, IPs, ports, policies) and the status it writes.
public struct Service: KubeResource, Hashable {
    public static let apiVersion = "v1"
    public static let kind = "Service"
    public static let plural = "services"
    public static let namespaced = true

    public var apiVersion: String? = Service.apiVersion
    public var kind: String? = Service.kind
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    /// Creates a service.
    public init(metadata: ObjectMeta, spec: Spec? = nil, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// `ServiceSpec`.
    public struct Spec: Codable, Sendable, Hashable {
        public var type: String?
        public var clusterIP: String?
        public var clusterIPs: [String]?
        public var ports: [Port]?
        public var selector: [String: String]?
        public var externalTrafficPolicy: String?
        public var loadBalancerIP: String?
        public var loadBalancerClass: String?
        public var ipFamilies: [String]?
        public var ipFamilyPolicy: String?

        /// Creates a spec.
        public init(
            type: String? = nil, ports: [Port]? = nil, selector: [String: String]? = nil, clusterIP: String? = nil
        ) {
            self.type = type
            self.ports = ports
            self.selector = selector
            self.clusterIP = clusterIP
        }
    }

    /// `ServicePort`.
    public struct Port: Codable, Sendable, Hashable {
        public var name: String?
        public var `protocol`: String?
        public var port: Int
        public var targetPort: IntOrString?
        public var nodePort: Int?

        /// Creates a port.
        public init(name: String? = nil, protocol: String? = "TCP", port: Int, targetPort: IntOrString? = nil) {
            self.name = name
            self.protocol = `protocol`
            self.port = port
            self.targetPort = targetPort
        }
    }

    /// `ServiceStatus`.
    public struct Status: Codable, Sendable, Hashable {
        public var loadBalancer: LoadBalancerStatus?

        /// Creates a status.
        public init(loadBalancer: LoadBalancerStatus? = nil) { self.loadBalancer = loadBalancer }
    }

    /// `LoadBalancerStatus`.
    public struct LoadBalancerStatus: Codable, Sendable, Hashable {
        public var ingress: [Ingress]?

        /// Creates a load-balancer status.
        public init(ingress: [Ingress]? = nil) { self.ingress = ingress }
    }

    /// `LoadBalancerIngress`.
    public struct Ingress: Codable, Sendable, Hashable {
        public var ip: String?
        public var hostname: String?
        public var ipMode: String?

        /// Creates an ingress point.
        public init(ip: String? = nil, hostname: String? = nil, ipMode: String? = nil) {
            self.ip = ip
            self.hostname = hostname
            self.ipMode = ipMode
        }
    }
}

/// `intstr.IntOrString`.
public enum IntOrString: Codable, Sendable, Hashable {
    case int(Int)
    case string(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .int(i) } else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        }
    }
}
