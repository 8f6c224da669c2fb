import HeraldCore

/// What a source wants announced: the addresses of one service, whichever source it comes from (a static VIP of
/// herald.yaml, an address the allocator gave a Kubernetes Service, or one from a manifest directory). This is the
/// seam between the sources and the planner: the planner reads nothing else about services.
package struct ServiceAddress: Sendable, Hashable {
    /// `namespace/name` of the service, as plugins see it. Services that share an address each have an entry; the
    /// planner merges them into one announcement.
    package var service: ServiceID
    /// The service's addresses, primary family first. The first one decides the layer-2 owner of all of them, so
    /// that both families of a dual-stack service stay on one node.
    package var addresses: [IPAddress]
    /// The pool the addresses come from; advertisements select addresses by pool.
    package var pool: String
    /// Only these advertisements announce it; empty: every advertisement that covers the pool.
    package var advertisements: [String]
    /// Which nodes may forward its traffic.
    package var trafficPolicy: TrafficPolicy

    package init(
        service: ServiceID, addresses: [IPAddress], pool: String, advertisements: [String] = [],
        trafficPolicy: TrafficPolicy = .cluster
    ) {
        self.service = service
        self.addresses = addresses
        self.pool = pool
        self.advertisements = advertisements
        self.trafficPolicy = trafficPolicy
    }
}
