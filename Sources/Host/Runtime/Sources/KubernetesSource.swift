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

    public func addresses() -> [ServiceAddress] {
        let configuration = config.current
        let slices = self.slices.store.list()
        return services.store.list().compactMap { service in
            Self.address(
                of: service, in: configuration.pools, loadBalancerClass: configuration.loadBalancerClass, slices: slices
            )
        }
    }

    /// The service address a Service's status shows, if it is one Herald serves.
    static func address(
        of service: Service, in pools: [Pool], loadBalancerClass: String?, slices: [EndpointSlice]
    ) -> ServiceAddress? {
        guard ServiceTranslation.isServed(service, loadBalancerClass: loadBalancerClass),
            let addresses = ServiceTranslation.statusAddresses(of: service), let first = addresses.first,
            let pool = pools.first(where: { $0.ranges.contains { $0.contains(first) } })
        else { return nil }
        let id = ServiceID(service)
        return ServiceAddress(
            service: id.description, addresses: addresses, pool: pool.name,
            trafficPolicy: ServiceTranslation.trafficPolicy(service, slices: slices))
    }

    public func changes() -> AsyncStream<Void> {
        let serviceEvents = services.events()
        let sliceEvents = slices.events()
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
