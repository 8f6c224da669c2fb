import HeraldConfig
import HeraldConfigModel
import HeraldCore
import HeraldPlanner
import HeraldPluginHost
import HeraldStatus
import Logging
import ServiceLifecycle
import Synchronization

/// The one serial reconcile loop: sources → service addresses → planner → plugin instances.
///
/// It starts the plugin instances, then on every change of a source or of the configuration asks each source for
/// its addresses, plans this node's announcements, and brings each running instance to the plan (withdrawals
/// first). Announce, withdraw and the loop's health calls happen on this loop, each bounded by its instance's call
/// deadline (a call that overruns it fails the instance, and the loop goes on). Plugin calls are made from other
/// threads too: the status endpoints' requests call `health` and `collect_metrics` through
/// ``PluginInstance/observe(within:metrics:)``, only on an instance that no other call is in, and never wait for a
/// busy one; a reload applies plugins.d on this loop. On shutdown it withdraws everything and stops the plugins,
/// last started first.
///
/// What a pass does is decided by ``ReconcileDecision`` (pure: break-before-make, the claims of exclusive addresses
/// and their confirmation by the other nodes' published input versions, the fast path when nodes only left); this
/// loop gathers its inputs, performs its actions in order and publishes the versions it says to publish.
package final class Reconciler: ServiceLifecycle.Service, Sendable {
    private let config: ConfigStore
    private let plugins: PluginSet
    private let pluginsDirectory: String?
    private let node: LocalNode
    private let sources: [any AddressSource]
    private let nodeView: (any NodeView)?
    private let events: (any AnnouncementEvents)?
    private let logger: Logger
    /// What a stop means to the plugins (`--on-stop`).
    private let onStop: RuntimeOptions.StopMode
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let state: Mutex<State>

    struct State {
        var started: [String] = []
        /// Exclusive announcements started and ended, per instance.
        var gained: [String: Int] = [:]
        var lost: [String: Int] = [:]
        /// The handover decisions: claims waiting, the versions planned on and published.
        var decision: ReconcileDecision
        /// Since when the current pass has run (nil between passes).
        var passStarted: ContinuousClock.Instant?
        /// The instances last found unhealthy here.
        var unhealthy: Set<String> = []
        /// A reload waiting for the loop: the plugins.d entries to apply first, then the configuration.
        var pendingReload: (config: HeraldConfiguration, plugins: [PluginDirectory.Entry]?)?
        /// Passes so far, the time they took, and the last one's.
        var passes = 0
        var passTime: Duration = .zero
        var lastPass: Duration = .zero
    }

    /// How long a wake waits before its pass, for the changes that come with it (see ``run()``): far below any lease
    /// or fencing margin.
    static let gathering: Duration = .milliseconds(10)

    /// How long the loop rests after a pass, as a multiple of the pass: passes coalesce, so while changes keep coming
    /// (a burst of thousands of Services) planning takes at most a tenth of a core (while a pass takes up to 11 ms,
    /// as one over 10,000 unchanged Services does) and leaves the rest to the allocator, the API client and the API
    /// server beside them. A pass under 2 ms (any small cluster) is followed by no rest, and no rest exceeds 100 ms,
    /// far below the fencing margin (half a renew interval): a change waits at most that long to be planned.
    static func rest(after pass: Duration) -> Duration {
        pass < .milliseconds(2) ? .zero : min(pass * 9, .milliseconds(100))
    }

    package init(
        config: ConfigStore, plugins: PluginSet, pluginsDirectory: String?, node: LocalNode,
        sources: [any AddressSource], nodeView: (any NodeView)? = nil, events: (any AnnouncementEvents)? = nil,
        claimDelay: Duration = .zero, onStop: RuntimeOptions.StopMode = .withdraw, logger: Logger
    ) {
        self.state = Mutex(State(decision: ReconcileDecision(claimDelay: claimDelay)))
        self.onStop = onStop
        self.nodeView = nodeView
        self.events = events
        self.config = config
        self.plugins = plugins
        self.pluginsDirectory = pluginsDirectory
        self.node = node
        self.sources = sources
        self.logger = logger
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a reconcile pass soon (passes coalesce).
    package func trigger() { wake.yield() }

    /// Hands a validated reload to the loop: plugins.d is applied there (new instances start, removed ones withdraw
    /// and stop, changed ones are reconfigured or restarted), then the configuration is put in force.
    package func reload(config: HeraldConfiguration, plugins entries: [PluginDirectory.Entry]?) {
        state.withLock { $0.pendingReload = (config, entries) }
        trigger()
    }

    /// Applies a pending reload, on the loop.
    private func applyPendingReload() {
        let taken = state.withLock { s in
            defer { s.pendingReload = nil }
            return s.pendingReload
        }
        guard let pending = taken else { return }
        if let entries = pending.plugins {
            let report = plugins.apply(entries, directory: pluginsDirectory)
            for problem in report.problems { logger.error("\(problem)") }
            logger.info("plugins.d reloaded: \(report)")
            state.withLock { s in
                s.started = s.started.filter { !report.stopped.contains($0) }
                for name in report.started where !s.started.contains(name) { s.started.append(name) }
            }
        }
        config.apply(pending.config)
    }

    package func run() async throws {
        startInstances()
        logger.info(
            "herald is running",
            metadata: [
                "node": .string(node.name), "instances": .string(plugins.instances.map(\.name).joined(separator: ",")),
                "sources": .string(sources.map(\.name).joined(separator: ",")),
            ])
        trigger()
        // Forwarders turn source and configuration changes into wakes; the loop itself runs here, until the graceful
        // shutdown of this service (a source ending early, as its own service stops, must not end it).
        var inputs: [any AsyncSequence & Sendable] = sources.map { $0.changes() }
        inputs.append(config.changes())
        if let nodeView { inputs.append(nodeView.changes()) }
        let forwarders = Task {
            for await _ in AsyncStream.merging(inputs) { self.trigger() }
        }
        // A node whose caches moved on without a change that woke the loop (events the plan does not read) still
        // publishes that it has seen them, so that another node waiting for its confirmation is not held up.
        let restamp = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                guard let versions = nodeView?.inputVersions() else { continue }
                let (applied, idle) = state.withLock { ($0.decision.published, $0.passStarted == nil) }
                if idle && applied != versions.content { trigger() }
            }
        }
        var first = true
        for await _ in wakes.cancelOnGracefulShutdown() {
            // Changes come in clusters: a new Service, then the status the allocator writes for it a few milliseconds
            // later; a node's lease, then its Node. A pass waits for the rest of the cluster and plans it once, and
            // meanwhile leaves the cores to the allocator writing that status. The first pass, at start, waits for
            // nothing: the host announces what it can as soon as it can.
            if !first { try? await Task.sleep(for: Self.gathering) }
            first = false
            applyPendingReload()
            let start = ContinuousClock.now
            state.withLock { $0.passStarted = start }
            reconcile()
            let took = ContinuousClock.now - start
            state.withLock { s in
                s.passStarted = nil
                s.passes += 1
                s.passTime += took
                s.lastPass = took
            }
            let rest = Self.rest(after: took)
            if rest > .zero { try? await Task.sleep(for: rest) }
        }
        forwarders.cancel()
        restamp.cancel()
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

    /// The addresses of every source now, and their digest.
    package func addresses() -> DigestedAddresses {
        // One source with addresses (the usual case: Kubernetes, with no static VIPs and no manifests) hands its
        // array over as it is: no second copy of 10,000 entries per pass.
        let each = sources.map { $0.digestedAddresses() }.filter { !$0.addresses.isEmpty }
        if each.count <= 1 { return each.first ?? DigestedAddresses(addresses: [], digest: 0) }
        return DigestedAddresses(
            addresses: Array(each.map(\.addresses).joined()), digest: each.reduce(0) { $0 &+ $1.digest })
    }

    /// What each running instance must do to reach the plan: withdrawals, then announcements (each marked new when
    /// the instance does not announce its id now). Planned as changes against what the instances announce now, whose
    /// snapshot is gone when this returns (holding it while the instances change their tables would copy each of
    /// them whole).
    private func steps(
        _ addresses: [ServiceAddress], advertisements: [Advertisement], nodes: [NodeState]
    ) -> [String: ReconcileDecision.Steps] {
        let running = runningInstances()
        let instances = running.map {
            AnnouncementPlanner.Instance(name: $0.name, exclusive: $0.info.kind == .exclusive)
        }
        let announced = Dictionary(running.map { ($0.name, $0.announced) }, uniquingKeysWith: { a, _ in a })
        let changes = AnnouncementPlanner.changes(
            addresses, advertisements: advertisements, node: node.name, nodes: nodes, instances: instances,
            previous: announced)
        var steps: [String: ReconcileDecision.Steps] = [:]
        for instance in instances {
            let current = announced[instance.name] ?? [:]
            let (withdraw, announce) = (changes[instance.name] ?? AnnouncementPlanner.Changes()).steps(from: current)
            steps[instance.name] = ReconcileDecision.Steps(
                instance: instance.name, exclusive: instance.exclusive, withdraw: withdraw,
                announce: announce.map { ($0, current[$0.id] == nil) })
        }
        return steps
    }

    private func runningInstances() -> [PluginInstance] {
        let started = Set(state.withLock { $0.started })
        return plugins.instances.filter { started.contains($0.name) }
    }

    /// The nodes of the view (or this one alone), this node with its own unhealthy instances.
    func nodes(unhealthy: Set<String>) -> [NodeState] {
        AnnouncementPlanner.nodes(nodeView?.nodes() ?? [], including: node, unhealthy: unhealthy)
    }

    /// The running instances that report their data plane unhealthy, with what they say (a plugin call: on the loop
    /// only).
    private func unhealthyInstances() -> [String: String?] {
        var result: [String: String?] = [:]
        for instance in runningInstances() {
            let health = instance.health()
            if health.state == .unhealthy { result[instance.name] = health.detail }
        }
        return result
    }

    /// One pass: brings every started instance to the plan.
    func reconcile() {
        let configuration = config.current
        let details = unhealthyInstances()
        let unhealthy = Set(details.keys)
        let reported = state.withLock { s in
            defer { s.unhealthy = unhealthy }
            return s.unhealthy
        }
        if unhealthy != reported {
            // A hung exclusive instance may still answer: the other nodes must not take its addresses on this report.
            // This node holds its membership renewals instead (``renewalHold``) and leaves the cluster by its lease.
            nodeView?.report(unhealthyInstances: unhealthy.subtracting(hungExclusiveInstances()))
            for name in unhealthy.symmetricDifference(reported).sorted() {
                let detail = details[name] ?? nil
                if unhealthy.contains(name) {
                    let why = detail.map { ": \($0)" } ?? ""
                    logger.warning(
                        "plugin instance \"\(name)\" reports its data plane unhealthy\(why); this node announces nothing through it until it recovers"
                    )
                } else {
                    logger.info("plugin instance \"\(name)\" reports its data plane healthy again")
                }
                events?.health(instance: name, healthy: !unhealthy.contains(name), detail: detail)
            }
        }
        // The versions read before the sources and after planning: a pass that planned on one view (they are
        // equal) can confirm handovers (see ``ReconcileDecision``).
        let appliedVersions = nodeView?.inputVersions()
        // Without advertisements nothing is announced, whatever the addresses (an allocator-only host, a speaker
        // whose advertisements were all removed): the sources' addresses, one screening of every Service, are not
        // read.
        let digested =
            configuration.advertisements.isEmpty ? DigestedAddresses(addresses: [], digest: 0) : addresses()
        let addresses = digested.addresses
        let nodes = nodes(unhealthy: unhealthy)
        let steps = steps(addresses, advertisements: configuration.advertisements, nodes: nodes)
        let plannedVersions = nodeView?.inputVersions()
        let started = Set(state.withLock { $0.started })
        for ad in configuration.advertisements where !started.contains(ad.plugin) {
            logger.warning(
                "advertisement \"\(ad.name)\": plugin instance \"\(ad.plugin)\" is not running; nothing announced")
        }
        let instances = plugins.instances.filter { started.contains($0.name) }
        let inputs = ReconcileDecision.Inputs(
            steps: instances.compactMap { steps[$0.name] }, node: node.name, nodes: nodes,
            addresses: digested.digest, advertisements: configuration.advertisements, applied: appliedVersions,
            planned: plannedVersions, confirmations: nodeView?.confirmations() ?? [:])
        let decision = state.withLock { $0.decision.decide(inputs, now: .now) }
        let byName = Dictionary(instances.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var withdrawalsFailed = false
        // The loop only performs what was decided, in order: withdrawals first, each call bounded by its deadline.
        // Consecutive calls of one kind into one instance go together, which a plugin runner pipelines.
        for run in Self.runs(decision.actions) {
            guard let instance = byName[run.instance] else { continue }
            if run.withdraw {
                let failures = instance.withdraw(
                    all: run.actions.map { action -> String in
                        guard case .withdraw(_, let id, _) = action else { return "" }
                        return id
                    })
                for (action, failure) in zip(run.actions, failures) {
                    guard case .withdraw(let name, _, let exclusive) = action else { continue }
                    if let failure {
                        logger.error("\(failure)")
                        if exclusive { withdrawalsFailed = true }
                    } else if exclusive {
                        state.withLock { $0.lost[name, default: 0] += 1 }
                    }
                }
            } else {
                let failures = instance.announce(
                    all: run.actions.compactMap { action -> PlannedAnnouncement? in
                        guard case .announce(_, let announcement, _, _) = action else { return nil }
                        return announcement
                    })
                for (action, failure) in zip(run.actions, failures) {
                    guard case .announce(let name, let announcement, let exclusive, let new) = action else { continue }
                    if let failure {
                        logger.error("\(failure)")
                    } else if new && exclusive {
                        state.withLock { $0.gained[name, default: 0] += 1 }
                        events?.nodeAssigned(
                            services: announcement.services, address: announcement.address.description,
                            node: node.name, instance: name)
                    }
                }
            }
        }
        if let versions = state.withLock({ $0.decision.finish(exclusiveWithdrawalsFailed: withdrawalsFailed) }) {
            nodeView?.report(applied: versions)
        }
        if let wake = decision.wakeAfter {
            Task {
                try? await Task.sleep(for: wake)
                self.trigger()
            }
        }
    }

    /// Consecutive actions of one kind (withdraw or announce) for one instance, in the decision's order.
    struct Run {
        var instance: String
        var withdraw: Bool
        var actions: [ReconcileDecision.Action]
    }

    static func runs(_ actions: [ReconcileDecision.Action]) -> [Run] {
        var runs: [Run] = []
        for action in actions {
            let (instance, withdraw): (String, Bool) =
                switch action {
                case .withdraw(let name, _, _): (name, true)
                case .announce(let name, _, _, _): (name, false)
                }
            if let last = runs.indices.last, runs[last].instance == instance, runs[last].withdraw == withdraw {
                runs[last].actions.append(action)
            } else {
                runs.append(Run(instance: instance, withdraw: withdraw, actions: [action]))
            }
        }
        return runs
    }

    /// The exclusive instances whose call hung: they may still answer for what they announced.
    func hungExclusiveInstances() -> Set<String> {
        Set(plugins.instances.filter { $0.info.kind == .exclusive && $0.hung != nil }.map(\.name))
    }

    /// How long the loop may spend in one pass before it counts as stuck: twice the longest call deadline (a pass
    /// waits for at most one overrun per instance), and never under ten seconds.
    package var stallLimit: Duration {
        let longest = plugins.instances.map(\.callDeadline).max() ?? PluginInstance.defaultCallDeadline
        return max(.seconds(10), longest * 2)
    }

    /// Why the loop cannot be trusted to withdraw now, or nil: a pass running for longer than ``stallLimit``.
    package func stalled(now: ContinuousClock.Instant = .now) -> String? {
        guard let started = state.withLock({ $0.passStarted }) else { return nil }
        let running = now - started
        guard running > stallLimit else { return nil }
        return "the reconcile loop has been in one pass for \(PluginInstance.describe(running))"
    }

    /// Why this node must stop renewing its membership, or nil: its loop is stuck, or an exclusive instance hangs
    /// in a call (it may still answer for its addresses, and nothing in the process can stop it but the process's
    /// end; see the watchdog in `HeraldRuntime`).
    package func renewalHold() -> String? {
        if let stalled = stalled() { return stalled }
        for instance in plugins.instances where instance.info.kind == .exclusive {
            if let hung = instance.hung {
                return "exclusive plugin instance \"\(instance.name)\" hangs in \(hung.call)"
            }
        }
        return nil
    }

    /// Whether an exclusive instance still announces something (running, or hung with what it held).
    package func holdsExclusiveAnnouncements() -> Bool {
        plugins.instances.contains { $0.info.kind == .exclusive && !$0.announced.isEmpty }
    }

    /// Reconcile passes so far, their total time and the last one's, for the status endpoints.
    package var passStatistics: (passes: Int, total: Duration, last: Duration) {
        state.withLock { ($0.passes, $0.passTime, $0.lastPass) }
    }

    /// Exclusive announcements this node started (it became the owner) and ended, per instance.
    package var ownershipChanges: (gained: [String: Int], lost: [String: Int]) {
        state.withLock { ($0.gained, $0.lost) }
    }

    /// Every instance's state, health, announcements, counters and metrics, for the status endpoints. Never waits
    /// for a busy or hung plugin: an idle one is asked (at most `observation` long), any other gives what was read
    /// last.
    package func instanceSnapshots(observation: Duration = .milliseconds(200)) -> [StatusSnapshot.Instance] {
        let started = Set(state.withLock { $0.started })
        return plugins.instances.map { instance -> StatusSnapshot.Instance in
            let running = started.contains(instance.name) && instance.phase == .started
            let activity = instance.activity
            let hung = instance.hung
            let observed = running ? instance.observe(within: observation) : nil
            let health =
                hung.map { PluginHealth(.unhealthy, "\($0.call) did not return within its deadline") }
                ?? (running ? observed?.health ?? instance.reportedHealth : PluginHealth(.unhealthy, "not running"))
            return StatusSnapshot.Instance(
                name: instance.name, plugin: instance.info.id, started: running || hung != nil,
                health: health, announcements: instance.announced.count, logLines: activity.logLines,
                suppressedLogLines: activity.suppressedLogLines, events: activity.events,
                metrics: observed?.metrics ?? [])
        }
    }

    private func shutdown() {
        switch onStop {
        case .withdraw: logger.info("shutting down: withdrawing announcements and stopping plugins")
        case .restart:
            logger.info(
                "shutting down for a restart (--on-stop=restart): plugins that can keep their announcements do")
        }
        plugins.shutdown(restart: onStop == .restart)
        logger.info("stopped")
    }
}
