import HeraldConfig
import HeraldPluginHost
import HeraldStatus
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The running host without a cluster: starts the plugin instances, announces the static VIPs through their
/// advertisements, applies new configurations on reload, and on shutdown withdraws everything and stops the plugins.
public final class HeraldHost: Service, Sendable {
    private let plugins: PluginSet
    private let node: HostNodeInfo
    private let logger: Logger
    private let reload: (@Sendable () async -> HeraldConfiguration?)?
    private let state: Mutex<State>

    struct State {
        var config: HeraldConfiguration
        var started: [String] = []
        var reloads = 0
        var failedReloads = 0
    }

    /// - Parameter reload: called on SIGHUP; returns a new valid configuration, or nil to keep the current one.
    public init(
        config: HeraldConfiguration, plugins: PluginSet, node: HostNodeInfo, logger: Logger,
        reload: (@Sendable () async -> HeraldConfiguration?)? = nil
    ) {
        self.plugins = plugins
        self.node = node
        self.logger = logger
        self.reload = reload
        self.state = Mutex(State(config: config))
    }

    public func run() async throws {
        startInstances()
        reconcile()
        logger.info(
            "herald is running",
            metadata: [
                "node": .string(node.name), "instances": .string(plugins.instances.map(\.name).joined(separator: ",")),
            ])
        if let reload {
            let hangups = await UnixSignalsSequence(trapping: .sighup)
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in hangups.cancelOnGracefulShutdown() {
                        if let config = await reload() {
                            self.state.withLock {
                                $0.config = config
                                $0.reloads += 1
                            }
                            self.logger.info("configuration reloaded")
                            self.reconcile()
                        } else {
                            self.state.withLock { $0.failedReloads += 1 }
                            self.logger.error("reload failed: keeping the last good configuration")
                        }
                    }
                }
                group.addTask { try? await gracefulShutdown() }
                await group.next()
                group.cancelAll()
            }
        } else {
            try? await gracefulShutdown()
        }
        shutdown()
    }

    private func startInstances() {
        for instance in plugins.instances {
            do {
                try instance.start()
                state.withLock { $0.started.append(instance.name) }
            } catch {
                logger.error("\(error); the other instances keep running")
            }
        }
    }

    /// Brings every started instance to the planned set of announcements.
    public func reconcile() {
        let (config, started) = state.withLock { ($0.config, Set($0.started)) }
        let running = plugins.instances.filter { started.contains($0.name) }
        let kinds = Dictionary(uniqueKeysWithValues: running.map { ($0.name, $0.info.kind) })
        let plan = AnnouncementPlanner.plan(config, nodeLabels: node.labels, kinds: kinds)
        for ad in config.advertisements where kinds[ad.plugin] == nil {
            logger.warning(
                "advertisement \"\(ad.name)\": plugin instance \"\(ad.plugin)\" is not running; nothing announced")
        }
        for instance in running {
            let (withdraw, announce) = AnnouncementPlanner.diff(
                current: instance.announced, desired: plan[instance.name] ?? [:])
            for id in withdraw {
                do { try instance.withdraw(id: id) } catch { logger.error("\(error)") }
            }
            for announcement in announce {
                do { try instance.announce(announcement) } catch { logger.error("\(error)") }
            }
        }
    }

    /// What the status endpoints report now: every instance's state, health, announcements, counters and metrics.
    public func snapshot(version: String, abi: String) -> StatusSnapshot {
        let (started, reloads, failed) = state.withLock { (Set($0.started), $0.reloads, $0.failedReloads) }
        let instances = plugins.instances.map { instance -> StatusSnapshot.Instance in
            let running = started.contains(instance.name) && instance.phase == .started
            let activity = instance.activity
            return StatusSnapshot.Instance(
                name: instance.name, plugin: instance.info.id, started: running,
                health: running ? instance.health() : PluginHealth(.unhealthy, "not running"),
                announcements: instance.announced.count, logLines: activity.logLines,
                suppressedLogLines: activity.suppressedLogLines, events: activity.events,
                metrics: running ? instance.collectMetrics() : [])
        }
        return StatusSnapshot(
            version: version, abi: abi, node: node.name, instances: instances, pluginProblems: plugins.problems.count,
            reloads: reloads, failedReloads: failed)
    }

    /// Withdraws every announcement and stops every instance, last started first.
    private func shutdown() {
        logger.info("shutting down: withdrawing announcements and stopping plugins")
        plugins.shutdown()
        logger.info("stopped")
    }
}
