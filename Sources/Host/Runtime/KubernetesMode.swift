import HeraldCore
import HeraldKube
import Logging
import ServiceLifecycle

/// Herald on a Kubernetes cluster: the caches of Services and Namespaces, the election of the allocator (the
/// `herald-allocator` Lease in Herald's namespace) and the allocator itself. Every host runs all of it; only the
/// elected one writes.
public final class KubernetesMode: ServiceLifecycle.Service, Sendable {
    /// The Lease that elects the allocator.
    public static let allocatorLease = "herald-allocator"

    let services: Informer<HeraldKube.Service>
    let namespaces: Informer<Namespace>
    let elector: LeaderElector
    let controller: ServiceController
    /// The addresses Services show, for the reconciler.
    public let source: KubernetesSource
    let logger: Logger

    public init(
        client: KubeClient, config: ConfigStore, node: NodeInfo, namespace: String,
        leaderElection: RuntimeOptions.LeaderElection, logger: Logger
    ) {
        services = Informer(client: client, logger: logger)
        namespaces = Informer(client: client, logger: logger)
        elector = LeaderElector(
            client: client,
            configuration: .init(
                leaseName: Self.allocatorLease, namespace: namespace, identity: node.name,
                leaseDuration: leaderElection.leaseDuration, renewDeadline: leaderElection.renewDeadline,
                retryPeriod: leaderElection.retryPeriod),
            logger: logger)
        let recorder = EventRecorder(
            client: client, component: "herald-allocator", host: node.name, burst: 500, refillPerSecond: 50,
            logger: logger)
        controller = ServiceController(
            client: client, services: services, namespaces: namespaces, elector: elector, recorder: recorder,
            config: config, logger: logger)
        source = KubernetesSource(services: services, config: config)
        self.logger = logger
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.services.run() }
            group.addTask { await self.namespaces.run() }
            group.addTask { await self.elector.run() }
            group.addTask { await self.controller.run() }
            group.addTask { try? await gracefulShutdown() }
            await group.next()
            group.cancelAll()
        }
    }
}
