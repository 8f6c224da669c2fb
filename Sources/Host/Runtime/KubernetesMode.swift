import HeraldAllocation
import HeraldConfig
import HeraldConfigModel
import HeraldCore
import HeraldKube
import HeraldKubeModels
import HeraldPlanner
import Logging
import ServiceLifecycle

/// Herald on a Kubernetes cluster. Every host runs all of it (with `--role all`, the default; `allocator` and
/// `speaker` run their parts alone, see ``parts(_:)``):
/// - the caches of Services, Namespaces, Nodes and EndpointSlices;
/// - the election of the allocator (the `herald-allocator` Lease in Herald's namespace) and the allocator itself,
///   which writes only while elected;
/// - membership: the leases of every node (who is alive, which plugin instances each reports unhealthy) and, when
///   this node may own exclusive (layer-2) addresses, its own lease, renewed every second.
package final class KubernetesMode: ServiceLifecycle.Service, Sendable {
    /// The Lease that elects the allocator.
    package static let allocatorLease = "herald-allocator"

    let services: Informer<HeraldKubeModels.Service>
    let namespaces: Informer<Namespace>
    let nodes: Informer<Node>
    let slices: Informer<EndpointSlice>
    let elector: LeaderElector
    let controller: ServiceController
    let watcher: MembershipWatcher
    /// This node's membership lease; nil when this node announces through routed instances only (a dead node's
    /// routes go away by themselves), which keeps the API writes to one per second per layer-2 candidate.
    package let membership: NodeMembership?
    /// The addresses Services show, for the reconciler.
    package let source: KubernetesSource
    /// The nodes, for the planner.
    package let nodeView: KubernetesNodeView
    /// Events about announcements, on Services and on this node.
    package let events: KubernetesEvents
    /// The allocator's and the speaker's Event recorders (their counters feed the status endpoints).
    let recorders: [EventRecorder]
    /// The allocator's recorder (Events about Services' addresses and, in MetalLB mode, about invalid objects).
    let allocatorRecorder: EventRecorder
    /// The recorder of the role this pod runs (the speaker's when it speaks), for Events about Herald's own Pod.
    let ownRecorder: EventRecorder
    let logger: Logger
    let role: RuntimeOptions.Role

    /// The indexes the EndpointSlice cache needs (see ``KubernetesSource/slicesByService``).
    package static let sliceIndexers = Dictionary(uniqueKeysWithValues: [KubernetesSource.slicesByService])

    /// Membership timing.
    package struct Timing: Sendable {
        package var renewInterval: Duration = .seconds(1)
        package var leaseDuration: Duration = .seconds(3)

        package init() {}
    }

    package init(
        client: KubeClient, config: ConfigStore, node: LocalNode, namespace: String,
        leaderElection: RuntimeOptions.LeaderElection, membership timing: Timing, candidate: Bool,
        role: RuntimeOptions.Role = .all, metallbMode: Bool = false, logger: Logger,
        assigned: @escaping @Sendable (Duration) -> Void = { _ in }
    ) {
        self.role = role
        services = Informer(
            client: client, options: .init(transform: ServiceCacheTransform().callAsFunction), logger: logger)
        namespaces = Informer(client: client, logger: logger)
        nodes = Informer(client: client, logger: logger)
        slices = Informer(client: client, indexers: Self.sliceIndexers, logger: logger)
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
            config: config, metallbMode: metallbMode, logger: logger, assigned: assigned)
        source = KubernetesSource(services: services, slices: slices, config: config, logger: logger)
        watcher = MembershipWatcher(client: client, namespace: namespace, logger: logger)
        membership =
            candidate && role.speaks
            ? NodeMembership(
                client: client,
                configuration: .init(
                    nodeName: node.name, namespace: namespace, renewInterval: timing.renewInterval,
                    leaseDuration: timing.leaseDuration),
                logger: logger) : nil
        let (services, nodes, slices) = (self.services, self.nodes, self.slices)
        nodeView = KubernetesNodeView(
            nodes: nodes, membership: watcher, own: membership, node: node,
            versions: {
                Self.versions([
                    ("services", services.store.content), ("nodes", nodes.store.content),
                    ("endpointslices", slices.store.content),
                ])
            })
        let speakerRecorder = EventRecorder(
            client: client, component: "herald-speaker", host: node.name, logger: logger)
        events = KubernetesEvents(recorder: speakerRecorder, node: node.name)
        recorders = [recorder, speakerRecorder]
        allocatorRecorder = recorder
        ownRecorder = role.speaks ? speakerRecorder : recorder
        self.logger = logger
    }

    package func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            let parts = Self.parts(role)
            group.addTask { await self.services.run() }
            if parts.contains(.namespaces) { group.addTask { await self.namespaces.run() } }
            if parts.contains(.nodes) { group.addTask { await self.nodes.run() } }
            if parts.contains(.endpointSlices) { group.addTask { await self.slices.run() } }
            if parts.contains(.membership) { group.addTask { await self.watcher.run() } }
            if parts.contains(.allocator) {
                group.addTask { await self.elector.run() }
                group.addTask { await self.controller.run() }
            }
            group.addTask { try? await gracefulShutdown() }
            await group.next()
            group.cancelAll()
        }
    }

    /// The input versions of the caches (their content digests and change counts), or nil while one has not listed
    /// yet (then this host confirms no handover and claims none by versions).
    static func versions(_ pairs: [(String, StoreContent)]) -> InputVersions? {
        var versions = InputVersions()
        for (resource, content) in pairs {
            guard content.lists > 0 else { return nil }
            versions.versions[resource] = content.digest
            versions.changes &+= content.changes
        }
        return versions
    }

    /// What runs besides the Services' cache, and so what the role's ServiceAccount must be allowed
    /// (`deploy/rbac.yaml`).
    package enum Part: Hashable, Sendable {
        /// The Namespaces' cache (their labels select pools): the allocator's.
        case namespaces
        /// The Nodes' and EndpointSlices' caches: the speaker's (eligibility).
        case nodes, endpointSlices
        /// The membership leases of every node: the speaker's.
        case membership
        /// The allocator's election and the allocator, which writes Service statuses.
        case allocator
    }

    /// The parts a role runs.
    package static func parts(_ role: RuntimeOptions.Role) -> Set<Part> {
        var parts: Set<Part> = []
        if role.allocates { parts.formUnion([.namespaces, .allocator]) }
        if role.speaks { parts.formUnion([.nodes, .endpointSlices, .membership]) }
        return parts
    }

    /// Whether this node may own exclusive addresses: some advertisement through an exclusive instance selects it
    /// (by the labels it is known by) and it is not excluded from load balancers.
    package static func isCandidate(
        _ config: HeraldConfiguration, labels: [String: String], exclusiveInstances: Set<String>
    ) -> Bool {
        guard labels[Eligibility.excludeLabel] == nil else { return false }
        return config.advertisements.contains {
            exclusiveInstances.contains($0.plugin) && $0.selects(nodeLabels: labels)
        }
    }
}

/// This node's membership lease as a service of its own, stopped after the reconciler: on SIGTERM the host first
/// withdraws everything, then deletes its lease, so that the next owner starts at once and never overlaps.
package struct MembershipService: ServiceLifecycle.Service {
    let membership: NodeMembership

    package init(_ membership: NodeMembership) { self.membership = membership }

    package func run() async throws {
        let renewing = Task { await membership.run() }
        try? await gracefulShutdown()
        renewing.cancel()
        await renewing.value
    }
}
