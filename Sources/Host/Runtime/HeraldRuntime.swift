import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldCore
import HeraldIPAM
import HeraldKube
import HeraldKubeModels
import HeraldMetalLB
import HeraldPlanner
import HeraldPluginHost
import HeraldStatus
import Logging
import ServiceLifecycle

/// Puts Herald together and runs it until SIGTERM or SIGINT:
///
/// sources (static VIPs; Kubernetes Services or a manifest directory) → service addresses → ``Reconciler``
/// (planner → plugin instances), beside the allocator role that gives Services their addresses, the reloader
/// (SIGHUP) and the status endpoints. Every long-running part is a `Service` of one `ServiceGroup`, stopped in
/// reverse order.
package enum HeraldRuntime {
    package static func run(_ options: RuntimeOptions, logger: Logger) async throws {
        var client: KubeClient?
        var config = options.config
        var pluginEntries = options.pluginEntries
        // MetalLB mode: the objects as they are now make the configuration Herald starts with.
        var metallb: (options: RuntimeOptions.MetalLB, derived: MetalLBDerivation.Derived)?
        if let settings = options.metallb {
            guard case .kubernetes(let configuration) = options.mode else {
                throw StartError(description: "--metallb-namespace needs a cluster (Kubernetes mode)")
            }
            let kube = try KubeClient(configuration: configuration, logger: logger)
            client = kube
            let objects = try await MetalLBSource.list(client: kube, namespace: settings.namespace)
            switch MetalLBSource.derive(
                objects, namespace: settings.namespace, passwordDirectory: settings.passwordDirectory)
            {
            case .success(let (derived, passwords)):
                for failure in MetalLBSource.writePasswords(passwords) { logger.error("MetalLB: \(failure)") }
                for warning in derived.conversion.warnings { logger.warning("MetalLB: \(warning)") }
                metallb = (settings, derived)
                let composed = MetalLBComposer.compose(
                    base: config, entries: pluginEntries, derived: derived, withPlugins: options.role.speaks)
                config = options.role.configuration(composed.config)
                pluginEntries = composed.entries
                let summary =
                    "MetalLB mode: \(derived.configuration.pools.count) pools, "
                    + "\(derived.configuration.advertisements.count) advertisements, instances "
                    + "[\(derived.plugins.map(\.name).joined(separator: ", "))] from namespace \(settings.namespace)"
                logger.info("\(summary)")
            case .failure(let errors):
                let problems = errors.diagnostics
                for problem in problems { logger.error("\(problem)") }
                try? await kube.shutdown()
                throw StartError(
                    description: "MetalLB's objects in namespace \(settings.namespace) are not valid configuration "
                        + "(\(problems.count) problems above); there is no earlier configuration to keep")
            }
        }
        let store = ConfigStore(config)
        let node = NodeIdentity.resolve(
            options.config, nameOverride: options.nodeName, environment: ProcessInfo.processInfo.environment)
        // Plugins speak back from their own threads: health changes wake the reconciler, events become Kubernetes
        // Events, once both exist.
        let relay = PluginRelay()
        let plugins = PluginSet.make(
            entries: pluginEntries, directory: options.pluginsDirectory, loader: options.loader, node: node,
            logger: logger, onEvent: { relay.event($0) }, onHealth: { _, _ in relay.health() },
            calls: options.metrics)
        for problem in plugins.problems { logger.error("\(problem)") }

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var sources: [any AddressSource] = [StaticVIPSource(config: store)]
        var cluster: KubernetesMode?
        var nodeLabels = node.labels
        var manifests: ManifestSource?
        switch options.mode {
        case .standalone:
            break
        case .manifests(let directory):
            let source = ManifestSource(directory: directory, config: store, logger: logger)
            manifests = source
            sources.append(source)
            services.append(.init(service: source))
        case .kubernetes(let configuration):
            let kube = try client ?? KubeClient(configuration: configuration, logger: logger)
            client = kube
            let labels =
                (try? await kube.get(HeraldKubeModels.Node.self, name: node.name).metadata.labels) ?? node.labels
            nodeLabels = labels
            let exclusive = Set(plugins.instances.filter { $0.info.kind == .exclusive }.map(\.name))
            // The advertisements in force (in MetalLB mode, those derived from MetalLB's objects). In MetalLB mode a
            // speaking node is a candidate whatever the objects say now: an L2Advertisement created later selects it
            // without a restart (the membership lease is decided once, here).
            let candidate =
                KubernetesMode.isCandidate(config, labels: labels, exclusiveInstances: exclusive)
                || (metallb != nil && options.role.speaks && labels[Eligibility.excludeLabel] == nil)
            let mode = KubernetesMode(
                client: kube, config: store, node: node, namespace: options.namespace,
                leaderElection: options.leaderElection, membership: options.membership, candidate: candidate,
                role: options.role, metallbMode: metallb != nil, logger: logger,
                assigned: { [metrics = options.metrics] in metrics.assigned(after: $0) })
            cluster = mode
            sources.append(mode.source)
            services.append(.init(service: mode))
            logger.info(
                candidate
                    ? "membership: renewing lease herald-member-\(node.name) (this node may own layer-2 addresses)"
                    : "membership: no lease (no exclusive plugin instance selects this node)")
        }
        let reconciler = Reconciler(
            config: store, plugins: plugins, pluginsDirectory: options.pluginsDirectory, node: node, sources: sources,
            nodeView: cluster?.nodeView ?? manifests, events: cluster?.events,
            claimDelay: cluster == nil ? .zero : .milliseconds(100), onStop: options.onStop, logger: logger)
        relay.set(reconciler: reconciler, plugins: plugins, events: cluster?.events)
        // The reconciler comes first, so that it stops last: announcements are withdrawn after the sources stop; the
        // membership lease before it, so that it is deleted only once everything is withdrawn.
        services.insert(.init(service: reconciler), at: 0)
        if let membership = cluster?.membership {
            services.insert(.init(service: MembershipService(membership)), at: 0)
            // The one-owner promise must not depend on the loop: a stuck loop or a hung exclusive instance holds the
            // renewals, and the watchdog ends the process if exclusive announcements outlive the fence.
            membership.setRenewalGate { reconciler.renewalHold() }
            ExclusiveWatchdog(membership: membership, reconciler: reconciler, logger: logger).start()
        }

        let watching: Bool
        if let watchConfig = options.watchConfig {
            watching = watchConfig
        } else if case .kubernetes = options.mode {
            watching = true
        } else {
            watching = false
        }
        let environment = ProcessInfo.processInfo.environment
        let report = cluster.flatMap {
            PodEvents.reloadReport(
                recorder: $0.ownRecorder, pod: environment["POD_NAME"], namespace: environment["POD_NAMESPACE"])
        }
        let composer = metallb.map { metallb in
            MetalLBComposer(
                base: options.config, entries: options.pluginEntries, derived: metallb.derived,
                withPlugins: options.role.speaks
            ) { config, entries in
                reconciler.reload(
                    config: options.role.configuration(config), plugins: options.role.speaks ? entries : nil)
            }
        }
        if let metallb, let composer, let client {
            services += MetalLBServices.make(
                client: client, options: metallb.options, role: options.role, node: node.name,
                nodeLabels: nodeLabels, cluster: cluster, composer: composer, plugins: plugins, logger: logger)
        }
        let reloader = options.configPath.map { path in
            ConfigReloader(
                path: path, pluginsDirectory: options.pluginsDirectory, watch: watching ? .init() : nil,
                baseline: options.configIdentities, logger: logger, report: report
            ) { config, entries in
                guard let composer else {
                    reconciler.reload(config: options.role.configuration(config), plugins: entries)
                    return
                }
                // herald.yaml keeps only Herald's own settings in MetalLB mode (`metallb:` in the file says so
                // itself; this is the --metallb-namespace case).
                if let key = ["pools", "advertisements"].first(where: { config.keyLocations[$0] != nil }) {
                    let message =
                        "\(config.keyLocations[key]!): error: \(key) cannot be written in herald.yaml in MetalLB mode "
                        + "(--metallb-namespace): the reload is rejected, the running configuration kept"
                    logger.error("\(message)", metadata: ["file": .string(path)])
                    return
                }
                composer.reloadBase(config, entries: entries)
            }
        }
        if let path = options.configPath, watching {
            logger.info(
                "following \(path)\(options.pluginsDirectory.map { " and \($0)" } ?? "") for changes (--no-watch-config to stop)"
            )
        }
        if let reloader { services.append(.init(service: reloader)) }

        if let status = options.statusAddress {
            let abi = PluginLibrary.abiVersion
            let version = options.version
            let (controller, recorders) = (cluster?.controller, cluster?.recorders ?? [])
            let server = StatusServer(
                host: status.host, port: status.port, logger: logger, metrics: options.metrics
            ) {
                let reloads = reloader?.statistics ?? (applied: 0, rejected: 0)
                let passes = reconciler.passStatistics
                let ownership = reconciler.ownershipChanges
                var snapshot = StatusSnapshot(
                    version: version, abi: abi, node: node.name, instances: reconciler.instanceSnapshots(),
                    pluginProblems: plugins.problems.count, reloads: reloads.applied,
                    failedReloads: reloads.rejected, problems: plugins.problems.map(\.description),
                    ownershipGained: ownership.gained, ownershipLost: ownership.lost,
                    reconcilePasses: passes.passes, reconcileSeconds: Self.seconds(passes.total),
                    lastReconcileSeconds: Self.seconds(passes.last))
                snapshot.stalled = reconciler.stalled()
                snapshot.pools = controller?.poolStatistics
                for recorder in recorders {
                    snapshot.events[recorder.component] = (recorder.written, recorder.dropped)
                }
                return snapshot
            }
            // The endpoints ending (a port already taken) must not stop the host.
            services.append(
                .init(service: server, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await client?.shutdown()
            throw error
        }
        try? await client?.shutdown()
    }

    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
