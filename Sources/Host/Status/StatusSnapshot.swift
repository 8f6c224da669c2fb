import HeraldCore
import HeraldIPAM

/// What the status endpoints report, taken at one moment: the host, and every plugin instance with its health,
/// announcements, log and event counters and the metrics it reported through the ABI. A plain value: rendering it is
/// pure.
package struct StatusSnapshot: Sendable {
    package struct Instance: Sendable {
        package var name: String
        package var plugin: String
        package var started: Bool
        package var health: PluginHealth
        package var announcements: Int
        package var logLines: Int
        package var suppressedLogLines: Int
        package var events: Int
        package var metrics: [PluginMetric]

        package init(
            name: String, plugin: String, started: Bool, health: PluginHealth,
            announcements: Int, logLines: Int = 0, suppressedLogLines: Int = 0, events: Int = 0,
            metrics: [PluginMetric] = []
        ) {
            self.name = name
            self.plugin = plugin
            self.started = started
            self.health = health
            self.announcements = announcements
            self.logLines = logLines
            self.suppressedLogLines = suppressedLogLines
            self.events = events
            self.metrics = metrics
        }
    }

    package var version: String
    package var abi: String
    /// The pools' usage when this host leads the allocator, else nil (only the leader knows it).
    package var pools: [PoolStatistics]?
    /// Kubernetes Events written and dropped by the rate limit, per recording component (`herald-allocator`,
    /// `herald-speaker`); empty without a cluster.
    package var events: [String: (written: Int, dropped: Int)] = [:]
    package var node: String
    package var instances: [Instance]
    /// Plugin files or instances that could not be loaded or configured.
    package var pluginProblems: Int
    /// What those problems are (`file:line:column: error: …`), when the snapshot's maker gives them.
    package var problems: [String]
    package var reloads: Int
    package var failedReloads: Int
    /// Exclusive (layer-2) announcements this node started (it became the owner) and ended, per instance.
    package var ownershipGained: [String: Int]
    package var ownershipLost: [String: Int]
    /// Reconcile passes so far, the seconds they took, and the last one's.
    package var reconcilePasses: Int
    package var reconcileSeconds: Double
    package var lastReconcileSeconds: Double
    /// Why the host is not live (its reconcile loop is stuck), or nil: `/healthz` then fails so that the kubelet
    /// restarts the process.
    package var stalled: String?

    package init(
        version: String, abi: String, node: String, instances: [Instance], pluginProblems: Int = 0, reloads: Int = 0,
        failedReloads: Int = 0, problems: [String] = [], ownershipGained: [String: Int] = [:],
        ownershipLost: [String: Int] = [:], reconcilePasses: Int = 0, reconcileSeconds: Double = 0,
        lastReconcileSeconds: Double = 0
    ) {
        self.reconcilePasses = reconcilePasses
        self.reconcileSeconds = reconcileSeconds
        self.lastReconcileSeconds = lastReconcileSeconds
        self.ownershipGained = ownershipGained
        self.ownershipLost = ownershipLost
        self.problems = problems
        self.version = version
        self.abi = abi
        self.node = node
        self.instances = instances
        self.pluginProblems = pluginProblems
        self.reloads = reloads
        self.failedReloads = failedReloads
    }
}
