import CHeraldPlugin
import HeraldConfigModel
import HeraldCore
import Logging
import Synchronization

/// The plugin instances of a plugins.d folder, created and configured; and every problem met on the way. One bad file
/// never stops the others. A running set takes a new plugins.d with ``apply(_:directory:)``.
package final class PluginSet: Sendable {
    /// A file or instance that could not be used, and why.
    package struct Problem: Error, Sendable, CustomStringConvertible {
        package var file: String
        package var instance: String?
        package var message: String
        /// Where in `file` the value at fault is written (the `library`, `config` or `name` value).
        package var location: SourceLocation?

        package init(file: String, instance: String?, message: String, location: SourceLocation? = nil) {
            self.file = file
            self.instance = instance
            self.message = message
            self.location = location
        }

        package var description: String {
            // Diagnostics already start with file:line:column.
            if instance == nil && message.hasPrefix("\(file):") { return message }
            let subject = instance.map { "instance \"\($0)\": " } ?? ""
            guard let location else { return "\(file): \(subject)\(message)" }
            return "\(location): error: \(subject)\(message)"
        }
    }

    /// A running instance and the plugins.d entry it was made from.
    struct Member: Sendable {
        var instance: PluginInstance
        var spec: PluginInstanceSpec
        var libraryPath: String
    }

    struct State: Sendable {
        var members: [Member] = []
        var problems: [Problem] = []
        var switchedOff: [PluginInstanceSpec] = []
    }

    private let state: Mutex<State>
    /// Set for the whole of `apply` and `shutdown`. Their callers serialise them (the reconciler runs both on its
    /// loop), so no lock is held across the plugin calls they make; an overlap is a programming error and traps.
    private let changing = Atomic(false)
    private let loader: PluginLoader
    private let node: LocalNode
    private let logger: Logger
    private let onEvent: @Sendable (PluginEvent) -> Void
    private let onHealth: @Sendable (String, PluginHealth) -> Void
    /// Told about every call into the instances (the status metrics).
    private let calls: (any PluginCallObserver)?

    /// The instances, in plugins.d order.
    package var instances: [PluginInstance] { state.withLock { $0.members.map(\.instance) } }
    /// Problems of the last make or apply.
    package var problems: [Problem] { state.withLock { $0.problems } }
    /// Instances present in plugins.d with `enabled: false`.
    package var switchedOff: [PluginInstanceSpec] { state.withLock { $0.switchedOff } }

    package func instance(named name: String) -> PluginInstance? { instances.first { $0.name == name } }

    private init(
        loader: PluginLoader, node: LocalNode, logger: Logger,
        onEvent: @escaping @Sendable (PluginEvent) -> Void,
        onHealth: @escaping @Sendable (String, PluginHealth) -> Void,
        calls: (any PluginCallObserver)?
    ) {
        self.calls = calls
        self.state = Mutex(State())
        self.loader = loader
        self.node = node
        self.logger = logger
        self.onEvent = onEvent
        self.onHealth = onHealth
    }

    /// Creates and configures an instance for every enabled entry. Nothing is started.
    package static func make(
        entries: [PluginDirectory.Entry], directory: String?, loader: PluginLoader, node: LocalNode, logger: Logger,
        onEvent: @escaping @Sendable (PluginEvent) -> Void = { _ in },
        onHealth: @escaping @Sendable (String, PluginHealth) -> Void = { _, _ in },
        calls: (any PluginCallObserver)? = nil
    ) -> PluginSet {
        let set = PluginSet(
            loader: loader, node: node, logger: logger, onEvent: onEvent, onHealth: onHealth, calls: calls)
        let plan = PluginSetPlan(entries: entries, directory: directory, loader: loader, current: [])
        var members: [Member] = []
        var problems = plan.problems
        for wanted in plan.wanted {
            switch set.create(wanted) {
            case .success(let member): members.append(member)
            case .failure(let problem): problems.append(problem)
            }
        }
        problems = Self.inFileOrder(problems)
        set.state.withLock {
            $0.members = members
            $0.problems = problems
            $0.switchedOff = plan.switchedOff
        }
        return set
    }

    /// Applies a new reading of plugins.d to this running set, and says what changed.
    ///
    /// - An instance new in `entries` is created, configured and started.
    /// - An instance no longer in `entries` (file removed, `enabled: false`) withdraws everything it announces, stops
    ///   and is destroyed.
    /// - An instance whose `config` changed is reconfigured in place; when the plugin refuses a live reconfigure
    ///   (`HERALD_ERR_STATE` or `HERALD_ERR_UNSUPPORTED` from `configure` on a started instance), or its `library`
    ///   changed, it is restarted: a new instance is created, configured and started, takes over every announcement
    ///   of the old one, and only then is the old one stopped. A config the plugin rejects
    ///   (`HERALD_ERR_CONFIG`) is refused and the instance keeps running with the previous one.
    /// - A file that is invalid (or whose library cannot be loaded) is refused with its problems; the instance it
    ///   names, if running, keeps running as it was. Every other instance is unaffected.
    ///
    /// The set's ``problems`` become the problems of this reading. Nothing here decides what to announce: the caller
    /// (the running host, on SIGHUP) reads plugins.d with ``PluginDirectory/read(_:)``, calls `apply`, marks the
    /// report's `started` and `restarted` instances as running (and forgets `stopped` ones), then brings
    /// announcements up to date, since new instances start with none. Callers serialise `apply` and ``shutdown()``.
    @discardableResult
    package func apply(_ entries: [PluginDirectory.Entry], directory: String?) -> PluginSetReport {
        exclusively {
            let current = state.withLock { $0.members }
            let plan = PluginSetPlan(entries: entries, directory: directory, loader: loader, current: current)
            var report = PluginSetReport()
            var problems = plan.problems
            var members: [Member] = []
            for wanted in plan.wanted {
                guard let old = current.first(where: { $0.spec.name == wanted.spec.name }) else {
                    switch create(wanted) {
                    case .success(let member):
                        if let problem = start(member) {
                            problems.append(problem)
                            member.instance.destroy()
                        } else {
                            members.append(member)
                            report.started.append(wanted.spec.name)
                        }
                    case .failure(let problem): problems.append(problem)
                    }
                    continue
                }
                // Where the plugin runs (and its runner's limits) changes only with a new instance.
                let sameLibrary =
                    old.libraryPath == wanted.libraryPath
                    && (old.spec.isolation, old.spec.memoryLimitMiB, old.spec.fileLimit)
                        == (wanted.spec.isolation, wanted.spec.memoryLimitMiB, wanted.spec.fileLimit)
                if sameLibrary && old.spec.configJSON == wanted.spec.configJSON {
                    old.instance.callDeadline = Self.callDeadline(wanted.spec)
                    var kept = old
                    kept.spec = wanted.spec
                    members.append(kept)
                    report.unchanged.append(wanted.spec.name)
                    continue
                }
                if sameLibrary {
                    do throws(PluginCallError) {
                        try old.instance.configure(json: wanted.spec.configJSON, node: node)
                        old.instance.callDeadline = Self.callDeadline(wanted.spec)
                        var kept = old
                        kept.spec = wanted.spec
                        members.append(kept)
                        report.reconfigured.append(wanted.spec.name)
                        continue
                    } catch {
                        // A plugin that cannot take a new config while started is restarted below; one that
                        // rejects the config keeps the previous one.
                        if error.status != HERALD_ERR_STATE && error.status != HERALD_ERR_UNSUPPORTED {
                            problems.append(
                                Problem(
                                    file: wanted.file, instance: wanted.spec.name,
                                    message: "\(error.detail); the instance keeps running with its previous config",
                                    location: wanted.spec.location(ofPluginMessage: error.message)))
                            members.append(old)
                            report.refused.append(wanted.spec.name)
                            continue
                        }
                    }
                }
                switch restart(old, as: wanted) {
                case .restarted(let member):
                    members.append(member)
                    report.restarted.append(wanted.spec.name)
                case .keptOld(let problem):
                    problems.append(problem)
                    members.append(old)
                    report.refused.append(wanted.spec.name)
                case .stopped(let problem):
                    problems.append(problem)
                }
            }
            // Kept: instances whose file is now invalid or refused keep running as they were.
            for member in current where plan.keep.contains(member.spec.name) {
                if !members.contains(where: { $0.spec.name == member.spec.name }) {
                    members.append(member)
                    report.refused.append(member.spec.name)
                }
            }
            for member in current where !members.contains(where: { $0.instance === member.instance }) {
                if !report.restarted.contains(member.spec.name) { report.stopped.append(member.spec.name) }
                member.instance.destroy()
            }
            // plugins.d order (files are read in lexical order of name), also for instances kept from before.
            members.sort { $0.spec.file < $1.spec.file }
            let position = Dictionary(uniqueKeysWithValues: members.enumerated().map { ($1.spec.name, $0) })
            report.refused.sort { (position[$0] ?? .max) < (position[$1] ?? .max) }
            problems = Self.inFileOrder(problems)
            report.problems = problems
            state.withLock {
                $0.members = members
                $0.problems = problems
                $0.switchedOff = plan.switchedOff
            }
            return report
        }
    }

    /// Problems in plugins.d order (the order files are read in), each file's own in the order found.
    static func inFileOrder(_ problems: [Problem]) -> [Problem] {
        problems.enumerated().sorted { ($0.element.file, $0.offset) < ($1.element.file, $1.offset) }.map(\.element)
    }

    /// Stops and destroys every instance, in reverse order of creation. `restart`: the process will be back, so each
    /// instance is asked first whether it leaves announcements in the network through the stop
    /// (``PluginInstance/prepareRestart()``); those that do are not made to withdraw.
    package func shutdown(restart: Bool = false) {
        exclusively {
            for instance in instances.reversed() {
                if restart, instance.prepareRestart() {
                    logger.info(
                        "plugin instance \"\(instance.name)\" keeps its announcements in the network through the restart"
                    )
                }
                instance.destroy()
            }
        }
    }

    /// Runs a change of the set; traps if another is under way (see ``changing``).
    private func exclusively<T>(_ body: () -> T) -> T {
        guard changing.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            preconditionFailure("PluginSet.apply and shutdown overlapped: their callers must serialise them")
        }
        defer { changing.store(false, ordering: .releasing) }
        return body()
    }

    private func create(_ wanted: PluginSetPlan.Wanted) -> Result<Member, Problem> {
        let spec = wanted.spec
        do {
            let library: PluginLibrary
            if spec.isolation == .process {
                try PluginLoader.checkFile(wanted.libraryPath)
                library = try PluginRunnerLink.launch(
                    path: wanted.libraryPath, label: spec.name,
                    limits: PluginRunnerLink.Limits(
                        memoryBytes: spec.memoryLimitMiB.map { UInt64($0) << 20 },
                        files: spec.fileLimit.map { UInt32($0) }, capabilities: spec.runnerCapabilities),
                    logger: logger)
            } else {
                library = try loader.load(path: wanted.libraryPath)
            }
            let instance = try PluginInstance(
                name: spec.name, library: library, logger: logger, callDeadline: Self.callDeadline(spec),
                onEvent: onEvent, onHealth: onHealth, calls: calls)
            do {
                try instance.configure(json: spec.configJSON, node: node)
            } catch {
                instance.destroy()
                return .failure(
                    Problem(
                        file: wanted.file, instance: spec.name, message: error.detail,
                        location: spec.location(ofPluginMessage: error.message)))
            }
            return .success(Member(instance: instance, spec: spec, libraryPath: wanted.libraryPath))
        } catch let error as PluginCallError {
            return .failure(
                Problem(
                    file: wanted.file, instance: spec.name, message: error.detail,
                    location: spec.location(of: "library")))
        } catch {
            return .failure(
                Problem(
                    file: wanted.file, instance: spec.name, message: "\(error)", location: spec.location(of: "library")
                ))
        }
    }

    /// How long the host waits for one call into an instance: its `callTimeoutMs`, else the default.
    static func callDeadline(_ spec: PluginInstanceSpec) -> Duration {
        spec.callTimeoutMilliseconds.map { .milliseconds($0) } ?? PluginInstance.defaultCallDeadline
    }

    private func start(_ member: Member) -> Problem? {
        do throws(PluginCallError) {
            try member.instance.start()
            return nil
        } catch {
            return Problem(
                file: member.spec.file, instance: member.spec.name, message: error.detail,
                location: member.spec.location(of: "config"))
        }
    }

    enum Restart {
        case restarted(Member)
        /// The new instance could not be made: the old one runs on.
        case keptOld(Problem)
        /// The old instance was stopped and the new one failed to start.
        case stopped(Problem)
    }

    /// A new instance for `wanted`, started, with every announcement of `old`; the caller destroys `old`.
    private func restart(_ old: Member, as wanted: PluginSetPlan.Wanted) -> Restart {
        let member: Member
        switch create(wanted) {
        case .success(let m): member = m
        case .failure(var problem):
            problem.message += "; the instance keeps running as it was"
            return .keptOld(problem)
        }
        // Two instances of one exclusive plugin must not answer for the same address at once: the old one stops
        // first. Its announcements are handed over as soon as the new one runs.
        let announced = old.instance.announced
        old.instance.stop()
        if var problem = start(member) {
            member.instance.destroy()
            problem.message += "; the instance is stopped"
            return .stopped(problem)
        }
        let handedOver = announced.values.sorted(by: { $0.id < $1.id })
        for failure in member.instance.announce(all: handedOver) {
            if let failure { logger.error("\(failure)") }
        }
        return .restarted(member)
    }
}
