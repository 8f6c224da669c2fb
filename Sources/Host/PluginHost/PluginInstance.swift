import CHeraldPlugin
import HeraldCore
import Logging
import Synchronization

/// A failed call into a plugin instance: which instance, which call, the ABI status and the plugin's own words.
package struct PluginCallError: Error, Sendable, Equatable, CustomStringConvertible {
    package var instance: String
    package var call: String
    package var status: Int32
    package var message: String

    package var description: String { "plugin instance \"\(instance)\": \(detail)" }

    /// The failure without the instance name, for messages that already name it.
    package var detail: String {
        "\(call) failed (\(Self.name(status)))" + (message.isEmpty ? "" : ": \(message)")
    }

    static func name(_ status: Int32) -> String {
        switch status {
        case HERALD_ERR_INVALID_ARGUMENT: "invalid argument"
        case HERALD_ERR_CONFIG: "configuration rejected"
        case HERALD_ERR_STATE: "wrong state"
        case HERALD_ERR_UNSUPPORTED: "unsupported"
        case HERALD_ERR_IO: "I/O error"
        case HERALD_ERR_RESOURCE: "out of resources"
        case HERALD_ERR_INTERNAL: "internal error"
        default: "status \(status)"
        }
    }
}

/// One running instance of a plugin.
///
/// Every call into the plugin runs on the instance's own thread (``PluginCaller``), one at a time (the ABI promises
/// plugins that one instance is never called concurrently), and every caller waits for it at most the instance's call
/// deadline. No lock is held across a call: the plugin may call any host callback from any thread at any time, stop
/// included, and host code reading ``announced`` or the instance's state never waits for the plugin. A call that
/// overruns its deadline marks the instance failed (``hung``): later calls fail at once, stop and destroy skip the
/// plugin, and the host decides what else a hung instance means (see `Reconciler`).
package final class PluginInstance: Sendable {
    package let name: String
    package let library: PluginLibrary
    /// How long a caller waits for one call into the plugin (nanoseconds; plugins.d may change it on reload).
    private let deadline: Atomic<Int64>
    let context: InstanceContext
    private let caller: PluginCaller
    private let state: Mutex<State>
    /// How a crash report names this instance.
    private let place: String
    /// Told how long each call took and whether it failed (the status metrics), on the calling or the call's thread.
    private let calls: (any PluginCallObserver)?

    /// The default deadline of one call into a plugin (`callTimeoutMs` in plugins.d overrides it).
    package static let defaultCallDeadline: Duration = .seconds(5)

    package enum Phase: Sendable, Equatable { case created, configured, started, stopped, destroyed, failed }

    /// A call that did not return within its deadline, and since when it has been running.
    package struct HungCall: Sendable, Equatable {
        package var call: String
        package var since: ContinuousClock.Instant
    }

    struct State {
        var handle: UnsafeMutableRawPointer?
        var table: UnsafeMutablePointer<herald_host_api>?
        var phase = Phase.created
        /// A call is running on the plugin thread (stop and destroy wait for none: they are queued behind it).
        var busy = false
        var hung: HungCall?
        /// What this instance currently announces, so that stop can withdraw it and `announced` can be asked.
        var announced: [String: PlannedAnnouncement] = [:]
        /// The plugin said its next stop is a restart and it leaves announcements in the network through it
        /// (``prepareRestart()``): stop does not withdraw them first.
        var keepsOnStop = false
        /// The last health and metrics read from the plugin, for readers that must not wait for it.
        var observed = Observation()
        var observing = false
    }

    /// What the host last read of the plugin's health and metrics, and when.
    package struct Observation: Sendable {
        package var health: PluginHealth?
        package var metrics: [PluginMetric] = []
        package var at: ContinuousClock.Instant?
    }

    /// Creates the instance (`vtable->create`). No configuration yet.
    package init(
        name: String, library: PluginLibrary, logger: Logger,
        callDeadline: Duration = PluginInstance.defaultCallDeadline,
        onEvent: @escaping @Sendable (PluginEvent) -> Void = { _ in },
        onHealth: @escaping @Sendable (String, PluginHealth) -> Void = { _, _ in },
        calls: (any PluginCallObserver)? = nil
    ) throws(PluginCallError) {
        self.name = name
        self.library = library
        self.calls = calls
        self.deadline = Atomic(Self.nanoseconds(callDeadline))
        let context = InstanceContext(instance: name, logger: logger, onEvent: onEvent, onHealth: onHealth)
        self.context = context
        let table = InstanceContext.makeTable(for: context)
        let place = CrashRecord.place(library: library.path, instance: name)
        self.place = place
        let caller = PluginCaller(label: "herald:\(name)")
        self.caller = caller
        let tablePointer = PluginPointer(table)
        let outcome = caller.call(within: callDeadline) { () -> CreateOutcome in
            var handle: UnsafeMutableRawPointer?
            var buffer = [CChar](repeating: 0, count: Self.errorCapacity)
            let status = CrashRecord.during(place, "create") {
                library.vtable.pointee.create!(
                    library.factoryContext, tablePointer.value, &handle, &buffer, buffer.count)
            }
            return CreateOutcome(status: status, handle: handle.map(PluginPointer.init), message: Self.text(buffer))
        }
        guard let outcome, outcome.status == HERALD_OK, let handle = outcome.handle else {
            caller.finish()
            // A create that never returned may still use the table: leave it (and the context) to the plugin.
            if outcome != nil {
                Unmanaged<InstanceContext>.fromOpaque(table.pointee.context).release()
                table.deallocate()
            }
            let status = outcome?.status ?? HERALD_ERR_INTERNAL
            throw PluginCallError(
                instance: name, call: "create", status: status == HERALD_OK ? HERALD_ERR_INTERNAL : status,
                message: outcome == nil
                    ? "did not return within \(Self.describe(callDeadline))"
                    : status == HERALD_OK ? "create returned no instance" : outcome!.message)
        }
        state = Mutex(State(handle: handle.value, table: table))
        // A runner that exits takes everything its instances announced with it.
        library.runner?.onExit { [weak self] in self?.state.withLock { $0.announced = [:] } }
    }

    deinit { destroy() }

    /// How long a caller waits for one call into the plugin.
    package var callDeadline: Duration {
        get { .nanoseconds(deadline.load(ordering: .relaxed)) }
        set { deadline.store(Self.nanoseconds(newValue), ordering: .relaxed) }
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }

    package var phase: Phase { state.withLock { $0.phase } }
    package var info: PluginDescriptor { library.info }
    /// What the instance announces now (never waits for the plugin).
    package var announced: [String: PlannedAnnouncement] { state.withLock { $0.announced } }
    /// The call that overran its deadline, if one did: the instance is failed and its thread held by the plugin.
    package var hung: HungCall? { state.withLock { $0.hung } }
    /// The health the plugin last pushed through `report_health`.
    package var reportedHealth: PluginHealth { context.pushedHealth }
    /// Log lines the instance wrote through the host, lines the rate limit dropped, and events it raised.
    package var activity: (logLines: Int, suppressedLogLines: Int, events: Int) {
        let c = context.counters
        return (c.logLines, c.suppressed, c.events)
    }

    package func configure(json: String, node: LocalNode) throws(PluginCallError) {
        try call("configure", allowed: [.created, .configured, .started]) { v, handle, err, cap in
            json.withCString { j in node.withCStruct { n in v.configure!(handle, j, n, err, cap) } }
        } after: { state in
            if state.phase == .created { state.phase = .configured }
        }
    }

    package func start() throws(PluginCallError) {
        try call("start", allowed: [.configured]) { v, handle, err, cap in
            v.start!(handle, err, cap)
        } after: {
            $0.phase = .started
        }
    }

    package func announce(_ announcement: PlannedAnnouncement) throws(PluginCallError) {
        try call(
            "announce \(announcement.address)/\(announcement.prefixLength)", allowed: [.started], lostWithRunner: true,
            { v, handle, err, cap in announcement.withCStruct { v.announce!(handle, $0, err, cap) } },
            after: { $0.announced[announcement.id] = announcement })
    }

    package func withdraw(id: String) throws(PluginCallError) {
        try call(
            "withdraw \(id)", allowed: [.started], lostWithRunner: true,
            { v, handle, err, cap in id.withCString { v.withdraw!(handle, $0, err, cap) } },
            after: { $0.announced[id] = nil })
    }

    /// Announces each of `announcements` in order, as ``announce(_:)`` does one, and returns each one's failure (nil
    /// where it was announced). In a plugin runner the calls are pipelined (the runner makes them one after the other
    /// without waiting for the host between them), each still bounded by the call deadline; in the host they are made
    /// one by one.
    package func announce(all announcements: [PlannedAnnouncement]) -> [PluginCallError?] {
        guard library.runner != nil, announcements.count > 1 else {
            return announcements.map { announcement -> PluginCallError? in
                do throws(PluginCallError) { try announce(announcement) } catch { return error }
                return nil
            }
        }
        return pipelined(
            announcements.map {
                ("announce \($0.address)/\($0.prefixLength)", .announce($0.withCStruct { RunnerAnnouncement($0) }))
            }
        ) { state, index in
            state.announced[announcements[index].id] = announcements[index]
        }
    }

    /// Withdraws each of `ids` in order, as ``withdraw(id:)`` does one (pipelined in a plugin runner, as
    /// ``announce(all:)``); each one's failure, or nil.
    package func withdraw(all ids: [String]) -> [PluginCallError?] {
        guard library.runner != nil, ids.count > 1 else {
            return ids.map { id -> PluginCallError? in
                do throws(PluginCallError) { try withdraw(id: id) } catch { return error }
                return nil
            }
        }
        return pipelined(ids.map { ("withdraw \($0)", .withdraw(id: $0)) }) { state, index in
            state.announced[ids[index]] = nil
        }
    }

    /// Calls into a plugin runner's instance, pipelined, as one job on the instance's thread (so that no other call
    /// into the instance runs meanwhile); `after` records each call that succeeded, as ``call(_:allowed:_:after:)``.
    private func pipelined(
        _ calls: [(what: String, call: RunnerCall)], after: (inout State, Int) -> Void
    ) -> [PluginCallError?] {
        let plugin: PluginHandle
        switch begin(calls[0].what, allowed: [.started]) {
        case .success(let h): plugin = h
        case .failure(let error):
            return calls.map {
                var e = error
                e.call = $0.what
                return e
            }
        }
        let proxy = PluginPointer(plugin.instance)
        let deadline = callDeadline
        let wire = calls.map(\.call)
        let started = ContinuousClock.now
        let epoch = runnerExits
        // Each reply has its own deadline inside (the link kills the runner when one overruns); this one only backs
        // them up.
        let replies = caller.call(within: deadline * (calls.count + 1)) { () -> [RunnerMessage.Reply] in
            RunnerProxy.from(proxy.value).callAll(wire, deadline: deadline)
        }
        // Only the run's end is seen here: each call is counted (and its failure), without a duration of its own.
        for (index, call) in calls.enumerated() {
            record(call.what, nil, failed: replies.map { index >= $0.count || $0[index].status != HERALD_OK } ?? true)
        }
        guard let replies else {
            markHung("a run of \(calls.count) calls from \(calls[0].what)", since: started)
            return calls.map {
                PluginCallError(
                    instance: name, call: $0.what, status: HERALD_ERR_IO,
                    message: "did not return in time; its plugin runner is killed and restarts")
            }
        }
        return state.withLock { s -> [PluginCallError?] in
            s.busy = false
            // A runner that ended after making some of the calls took what they announced with it.
            let sameRunner = runnerExits == epoch
            return replies.enumerated().map { index, reply -> PluginCallError? in
                if let failure = settle(calls[index].what, status: reply.status, message: reply.message, &s) {
                    return failure
                }
                if sameRunner { after(&s, index) }
                return nil
            }
        }
    }

    /// Polls the plugin's health (or its last pushed report when it has no health function), waiting at most
    /// `within` (the call deadline by default). A failed instance is unhealthy without a call.
    package func health(within: Duration? = nil) -> PluginHealth {
        observe(within: within ?? callDeadline, metrics: false).health ?? context.pushedHealth
    }

    /// The instance's metrics, as the plugin reports them, waiting at most `within` (else the last ones read).
    package func collectMetrics(within: Duration? = nil) -> [PluginMetric] {
        observe(within: within ?? callDeadline, metrics: true).metrics
    }

    /// Reads health (and metrics) from the plugin on its thread, waiting at most `within`; what was read last when
    /// the plugin is busy or does not answer in time. One read at a time: callers that come while one runs get the
    /// last observation at once, so that no number of status requests queues calls behind a slow plugin. A call that
    /// overruns its own deadline marks the instance failed, as every call does.
    package func observe(within: Duration, metrics: Bool = true) -> Observation {
        enum Step {
            case done(Observation)
            case read(PluginHandle)
        }
        let step = state.withLock { s -> Step in
            if s.hung != nil || s.phase == .failed { return .done(Self.failedObservation(s)) }
            guard let handle = s.handle, s.phase == .started else { return .done(Observation()) }
            guard !s.observing, !s.busy else { return .done(s.observed) }
            s.observing = true
            return .read(PluginHandle(instance: handle, vtable: library.vtable))
        }
        guard case .read(let plugin) = step else {
            guard case .done(let observation) = step else { return Observation() }
            return observation
        }
        let place = self.place
        let context = self.context
        let started = ContinuousClock.now
        // The read lands in `observed` whenever it ends, also after the caller stopped waiting.
        let waited = caller.call(within: min(within, callDeadline)) { () -> Bool in
            let v = plugin.vtable.pointee
            let pushed = context.pushedHealth
            var health = pushed
            if let poll = v.health {
                var buffer = [CChar](repeating: 0, count: 256)
                let began = ContinuousClock.now
                let raw = CrashRecord.during(place, "health") { poll(plugin.instance, &buffer, buffer.count) }
                self.record("health", ContinuousClock.now - began, failed: false)
                let polled = PluginHealth(
                    PluginHealth.State(rawValue: raw) ?? .unhealthy, buffer[0] == 0 ? nil : Self.text(buffer))
                health = pushed.state > polled.state ? pushed : polled
            }
            var collected: [PluginMetric]?
            if metrics, let collect = v.collect_metrics {
                let began = ContinuousClock.now
                collected = CrashRecord.during(place, "collect_metrics") {
                    MetricsCollector.collect { sink in collect(plugin.instance, sink) }
                }
                self.record("collect_metrics", ContinuousClock.now - began, failed: false)
            }
            self.state.withLock { s in
                s.observing = false
                s.observed.health = health
                if let collected { s.observed.metrics = collected }
                s.observed.at = ContinuousClock.now
            }
            return true
        }
        if waited == nil {
            if within >= callDeadline {
                record("health", nil, failed: true)
                markHung("health", since: started)
            } else {
                watch("health", since: started)
            }
        }
        return state.withLock { s in s.hung != nil ? Self.failedObservation(s) : s.observed }
    }

    static func failedObservation(_ s: State) -> Observation {
        var failed = s.observed
        failed.health = PluginHealth(.unhealthy, failure(s))
        return failed
    }

    /// Tells the instance that its next stop is a restart (extension `herald.lifecycle/1`). Returns true when the
    /// plugin leaves some of its announcements in the network through that stop (BGP peers with graceful restart
    /// keep its routes); ``stop()`` then does not withdraw them first. A plugin without the extension, one that
    /// declines, and one whose call fails or overruns its deadline are stopped as for good. An exclusive instance is
    /// not asked: its addresses go to another node the moment this host stops (its membership lease is deleted),
    /// and an announcement left behind would make two owners.
    package func prepareRestart() -> Bool {
        guard info.kind == .routed, phase == .started, let pointer = extensionPointer(HERALD_EXT_LIFECYCLE) else {
            return false
        }
        let table = PluginPointer(pointer.assumingMemoryBound(to: herald_lifecycle_ext.self))
        guard table.value.pointee.struct_size >= UInt32(MemoryLayout<herald_lifecycle_ext>.size) else { return false }
        do {
            try call("prepare_stop", allowed: [.started]) { _, instance, err, cap in
                table.value.pointee.prepare_stop(instance, HERALD_STOP_RESTART, err, cap)
            } after: { s in
                s.keepsOnStop = true
            }
            return true
        } catch {
            if error.status != HERALD_ERR_UNSUPPORTED { context.logger.warning("\(error)") }
            return false
        }
    }

    /// Withdraws everything still announced (unless ``prepareRestart()`` said the plugin keeps it), then stops the
    /// plugin. Idempotent. A failed instance whose call hung is not called: its thread is held by the plugin.
    package func stop() {
        let ids = state.withLock { s -> [String] in
            s.phase == .started && !s.keepsOnStop ? s.announced.keys.sorted() : []
        }
        for failure in withdraw(all: ids) {
            if let failure { context.logger.warning("\(failure)") }
        }
        let handle = state.withLock { s -> PluginHandle? in
            guard s.hung == nil, let handle = s.handle, s.phase != .stopped, s.phase != .destroyed,
                s.phase != .created
            else {
                if s.hung == nil && s.phase == .created { s.phase = .stopped }
                return nil
            }
            return PluginHandle(instance: handle, vtable: library.vtable)
        }
        guard let handle else { return }
        let place = self.place
        let started = ContinuousClock.now
        let returned = caller.call(within: callDeadline) { () -> Duration in
            let began = ContinuousClock.now
            CrashRecord.during(place, "stop") { handle.vtable.pointee.stop!(handle.instance) }
            return ContinuousClock.now - began
        }
        record("stop", returned, failed: returned == nil)
        if returned == nil {
            markHung("stop", since: started)
            return
        }
        state.withLock { s in
            if s.phase != .failed { s.phase = .stopped }
            s.announced = [:]
        }
    }

    /// Stops (if needed) and frees the instance. After this, every call fails with a state error. A hung instance is
    /// left as it is (its memory and table stay the plugin's): freeing it under a running call would be worse.
    package func destroy() {
        stop()
        let handle = state.withLock { s -> (PluginHandle, UnsafeMutablePointer<herald_host_api>?)? in
            guard s.hung == nil, let handle = s.handle else { return nil }
            s.handle = nil
            s.phase = .destroyed
            return (PluginHandle(instance: handle, vtable: library.vtable), s.table.take())
        }
        guard let (handle, table) = handle else { return }
        let place = self.place
        let tableBox = table.map(PluginPointer.init)
        let started = ContinuousClock.now
        let returned = caller.call(within: callDeadline) { () -> Bool in
            CrashRecord.during(place, "destroy") { handle.vtable.pointee.destroy!(handle.instance) }
            if let table = tableBox?.value {
                Unmanaged<InstanceContext>.fromOpaque(table.pointee.context).release()
                table.deallocate()
            }
            return true
        }
        if returned == nil {
            markHung("destroy", since: started)
        } else {
            caller.finish()
        }
    }

    /// An extension of the plugin by versioned id, or nil (also for plugins built before the slot existed).
    package func extensionPointer(_ id: String) -> UnsafeRawPointer? {
        let handle = state.withLock { s -> PluginHandle? in
            guard s.hung == nil, let handle = s.handle, library.hasSlot(\.get_extension) else { return nil }
            return PluginHandle(instance: handle, vtable: library.vtable)
        }
        guard let handle, let get = handle.vtable.pointee.get_extension else { return nil }
        let place = self.place
        let started = ContinuousClock.now
        let pointer = caller.call(within: callDeadline) { () -> PluginPointer<UnsafeRawPointer?> in
            PluginPointer(
                CrashRecord.during(place, "get_extension") { id.withCString { get(handle.instance, $0) } })
        }
        if pointer == nil { markHung("get_extension", since: started) }
        return pointer?.value
    }

    static let errorCapacity = 1024

    /// Runs one call on the plugin thread and waits for it at most the call deadline. `lostWithRunner`: what `after`
    /// records is gone when a plugin runner ends (announcements), so it is not recorded when the runner ended meanwhile.
    private func call(
        _ what: String, allowed: Set<Phase>, lostWithRunner: Bool = false,
        _ body:
            @escaping @Sendable (herald_plugin_vtable, UnsafeMutableRawPointer, UnsafeMutablePointer<CChar>, Int)
            -> Int32,
        after: (inout State) -> Void
    ) throws(PluginCallError) {
        let plugin = try begin(what, allowed: allowed).get()
        let place = self.place
        let started = ContinuousClock.now
        let epoch = runnerExits
        let outcome = caller.call(within: callDeadline) { () -> CallOutcome in
            var buffer = [CChar](repeating: 0, count: Self.errorCapacity)
            let began = ContinuousClock.now
            let status = CrashRecord.during(place, what) {
                buffer.withUnsafeMutableBufferPointer {
                    body(plugin.vtable.pointee, plugin.instance, $0.baseAddress!, $0.count)
                }
            }
            return CallOutcome(
                status: status, message: status == HERALD_OK ? "" : Self.text(buffer),
                elapsed: ContinuousClock.now - began)
        }
        record(what, outcome?.elapsed, failed: outcome.map { $0.status != HERALD_OK } ?? true)
        guard let outcome else {
            markHung(what, since: started)
            throw PluginCallError(
                instance: name, call: what, status: library.runner == nil ? HERALD_ERR_INTERNAL : HERALD_ERR_IO,
                message: "did not return within \(Self.describe(callDeadline)); "
                    + (library.runner == nil ? "the instance is failed" : "its plugin runner is killed and restarts"))
        }
        let failure = state.withLock { s -> PluginCallError? in
            s.busy = false
            if let failure = settle(what, status: outcome.status, message: outcome.message, &s) { return failure }
            // A runner that ended after the call returned took what it announced with it (its exit cleared
            // `announced`); the phase is the host's and stays (a new runner is brought back to it).
            if !lostWithRunner || runnerExits == epoch { after(&s) }
            return nil
        }
        if let failure { throw failure }
    }

    /// Marks the instance busy for a call `what` allowed in `allowed`, and returns what to call, or why it may not be
    /// called now.
    private func begin(_ what: String, allowed: Set<Phase>) -> Result<PluginHandle, PluginCallError> {
        state.withLock { s -> Result<PluginHandle, PluginCallError> in
            guard s.hung == nil, let handle = s.handle, allowed.contains(s.phase) else {
                return .failure(
                    PluginCallError(
                        instance: name, call: what, status: HERALD_ERR_STATE,
                        message: s.hung == nil ? "the instance is \(s.phase)" : Self.failure(s)))
            }
            s.busy = true
            return .success(PluginHandle(instance: handle, vtable: library.vtable))
        }
    }

    /// A call's status taken into the state: its failure (an internal error fails the instance), or nil.
    private func settle(_ what: String, status: Int32, message: String, _ s: inout State) -> PluginCallError? {
        guard status != HERALD_OK else { return nil }
        if status == HERALD_ERR_INTERNAL { s.phase = .failed }
        return PluginCallError(instance: name, call: what, status: status, message: message)
    }

    /// How many times the instance's plugin runner has ended (0 in the host): a call that returned before a change
    /// had its effect undone by the runner's end.
    private var runnerExits: Int { library.runner?.exits ?? 0 }

    /// Marks the instance failed by a call that overran its deadline, once, and says so.
    private func markHung(_ what: String, since: ContinuousClock.Instant) {
        if let runner = library.runner {
            // In a runner, a hung call ends with the runner: killing it stops everything the plugin did, frees the
            // call thread, and the runner restarts (see PluginRunnerLink).
            state.withLock { $0.busy = false }
            let detail = "\(what) did not return within \(Self.describe(callDeadline))"
            context.logger.error("\(detail); killing its plugin runner")
            runner.abandon(because: detail)
            return
        }
        let first = state.withLock { s -> Bool in
            guard s.hung == nil else { return false }
            s.hung = HungCall(call: what, since: since)
            s.phase = .failed
            s.busy = false
            return true
        }
        guard first else { return }
        let detail = "\(what) did not return within \(Self.describe(callDeadline)); the instance is failed"
        context.logger.error("\(detail)")
        context.reportHealth(PluginHealth(.unhealthy, detail))
    }

    /// A read that outlived a short wait: the instance is hung if it is still running at the call deadline.
    private func watch(_ what: String, since: ContinuousClock.Instant) {
        let deadline = callDeadline
        let waited = ContinuousClock.now - since
        Task.detached { [weak self] in
            try? await Task.sleep(for: deadline - waited)
            guard let self else { return }
            if self.state.withLock({ $0.observing && $0.hung == nil }) { self.markHung(what, since: since) }
        }
    }

    static func failure(_ s: State) -> String {
        guard let hung = s.hung else { return "the instance failed" }
        return "\(hung.call) did not return (hung since \(describe(ContinuousClock.now - hung.since)) ago)"
    }

    package static func describe(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(Double(ms) / 1000) s"
    }

    static func text(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    struct CallOutcome: Sendable {
        var status: Int32
        var message: String
        var elapsed: Duration = .zero
    }

    /// Tells the observer about one call: its kind is the first word of `what` (`announce 192.0.2.1/32` is an
    /// `announce`).
    private func record(_ what: String, _ duration: Duration?, failed: Bool) {
        guard let calls else { return }
        let kind = what.prefix { $0 != " " }
        calls.pluginCall(
            instance: name, plugin: library.info.id, call: String(kind), duration: duration, failed: failed)
    }

    struct CreateOutcome: Sendable {
        var status: Int32
        var handle: PluginPointer<UnsafeMutableRawPointer>?
        var message: String
    }
}

// Pointers the plugin thread uses while a call runs: only that thread touches what they point to then (calls are
// serialised on it), and the host's own state about them is guarded by the instance's Mutex.
struct PluginPointer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

// The handle and table pointers are only touched under the Mutex, and the plugin promises nothing about thread
// affinity beyond serialised calls, which the instance's thread provides.
extension PluginInstance.State: @unchecked Sendable {}
