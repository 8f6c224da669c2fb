import HeraldCore
import HeraldIPAM
import HeraldKube
import HeraldPlanner

/// The addresses Kubernetes Services show in their status, whichever host assigned them: every host reads the same
/// statuses, so every host agrees on what exists. Only Services Herald serves (type LoadBalancer, its class) with
/// addresses in one of its pools count.
public struct KubernetesSource: AddressSource {
    let services: Informer<Service>
    let slices: Informer<EndpointSlice>
    let config: ConfigStore

    public init(services: Informer<Service>, slices: Informer<EndpointSlice>, config: ConfigStore) {
        self.services = services
        self.slices = slices
        self.config = config
    }

    public var name: String { "kubernetes" }

    /// The index of EndpointSlices by the Service they belong to (`namespace/name`), which ``KubernetesMode`` gives
    /// the slices' informer: a Service's endpoints are found without a scan of every slice.
    public static let slicesByService: (String, ObjectStore<EndpointSlice>.IndexFunction) = (
        "service",
        { slice in
            guard let name = slice.metadata.labels?[EndpointSlice.serviceNameLabel] else { return [] }
            return ["\(slice.metadata.namespace ?? "default")/\(name)"]
        }
    )

    /// Read in place from the Service cache (no copy of it per pass); the endpoints of `Local` Services come from
    /// their own slices, by index.
    public func addresses() -> [ServiceAddress] {
        let configuration = config.current
        var result = services.store.compactMap { service -> ServiceAddress? in
            Self.address(of: service, in: configuration.pools, loadBalancerClass: configuration.loadBalancerClass)
        }
        for index in result.indices where result[index].trafficPolicy != .cluster {
            let slices = self.slices.store.byIndex(Self.slicesByService.0, result[index].service)
            result[index].trafficPolicy = ServiceTranslation.readyNodes(in: slices)
        }
        return result
    }

    /// The service address a Service's status shows, if it is one Herald serves; under `externalTrafficPolicy:
    /// Local` its ready nodes are left for the caller to fill in.
    static func address(of service: Service, in pools: [Pool], loadBalancerClass: String?) -> ServiceAddress? {
        guard ServiceTranslation.isServed(service, loadBalancerClass: loadBalancerClass),
            let addresses = ServiceTranslation.statusAddresses(of: service), let first = addresses.first,
            let pool = pools.first(where: { $0.ranges.contains { $0.contains(first) } })
        else { return nil }
        let id = ServiceID(service)
        return ServiceAddress(
            service: id.description, addresses: addresses, pool: pool.name,
            trafficPolicy: service.spec?.externalTrafficPolicy == "Local" ? .local(readyNodes: []) : .cluster)
    }

    public func changes() -> AsyncStream<Void> {
        let serviceEvents = services.changes()
        let sliceEvents = slices.changes()
        return AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let task = Task {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await _ in serviceEvents { continuation.yield() }
                    }
                    group.addTask {
                        for await _ in sliceEvents { continuation.yield() }
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
