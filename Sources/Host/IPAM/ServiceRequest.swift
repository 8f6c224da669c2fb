import HeraldCore

/// Everything the allocator needs to know about one Service, as plain values. The caller builds it from the Service
/// (see `RequestedAllocation.parse` for the annotations) and the labels of its namespace; `loadBalancerClass`
/// filtering is the caller's, before a request is ever made.
public struct ServiceRequest: Hashable, Sendable {
    public var id: ServiceID
    /// The Service's labels, matched against `serviceAllocation.serviceSelectors`.
    public var labels: [String: String]
    /// The labels of the Service's namespace, matched against `serviceAllocation.namespaceSelectors`.
    public var namespaceLabels: [String: String]
    public var ipFamilyPolicy: IPFamilyPolicy
    /// The Service's families in the order of its ClusterIPs (`spec.ipFamilies`): the first one is the primary.
    public var families: [IPFamily]
    /// Addresses the Service asks for (`spec.loadBalancerIP` or a `loadBalancerIPs` annotation); empty for any.
    public var requestedAddresses: [IPAddress]
    /// The pool named by an `address-pool` annotation, if any.
    public var requestedPool: String?
    /// The `allow-shared-ip` key, if any. Without one, the Service never shares an address.
    public var sharingKey: String?
    public var ports: [ServicePort]
    public var backend: ServiceBackend

    public init(
        id: ServiceID,
        labels: [String: String] = [:],
        namespaceLabels: [String: String] = [:],
        ipFamilyPolicy: IPFamilyPolicy = .singleStack,
        families: [IPFamily] = [.ipv4],
        requestedAddresses: [IPAddress] = [],
        requestedPool: String? = nil,
        sharingKey: String? = nil,
        ports: [ServicePort] = [],
        backend: ServiceBackend = .cluster
    ) {
        self.id = id
        self.labels = labels
        self.namespaceLabels = namespaceLabels
        self.ipFamilyPolicy = ipFamilyPolicy
        self.families = families
        self.requestedAddresses = requestedAddresses
        self.requestedPool = requestedPool
        self.sharingKey = sharingKey
        self.ports = ports
        self.backend = backend
    }

    /// The families of a Service's ClusterIPs (`spec.clusterIPs`), in order and without repeats.
    public static func families(ofClusterIPs clusterIPs: [IPAddress]) -> [IPFamily] {
        var result: [IPFamily] = []
        for address in clusterIPs where !result.contains(address.family) { result.append(address.family) }
        return result
    }

    /// Applies what a Service's annotations and `spec.loadBalancerIP` ask for.
    public mutating func apply(_ requested: RequestedAllocation) {
        requestedAddresses = requested.addresses
        requestedPool = requested.pool
        sharingKey = requested.sharingKey
    }

    /// What the allocator keeps of the request to judge later sharers.
    var sharing: SharingProfile { SharingProfile(key: sharingKey, ports: Set(ports), backend: backend) }
}
