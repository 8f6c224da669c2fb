import CHeraldPlugin
import HeraldCore
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a plugin through the ABI's promises, call by call, at the C level: what any plugin must do to be loaded by
/// Herald safely. `herald conformance LIBRARY` runs it for plugin authors; the test suite runs it on every bundled
/// plugin.
package enum ConformanceSuite {
    package struct Check: Sendable, CustomStringConvertible {
        package enum Level: String, Sendable { case required, recommended }
        package var name: String
        package var level: Level
        package var passed: Bool
        package var detail: String

        package var description: String {
            "\(passed ? "pass" : (level == .required ? "FAIL" : "warn")) \(name)"
                + (detail.isEmpty ? "" : ": \(detail)")
        }
    }

    /// What the host saw through callbacks during the run.
    package struct Callbacks: Sendable {
        package var logs = 0
        package var events = 0
        package var healthReports = 0
        /// Callbacks that arrived on a thread other than the one making the current host call.
        package var fromPluginThreads = 0
    }

    package struct Report: Sendable {
        package var checks: [Check]
        package var callbacks: Callbacks
        package var passed: Bool { checks.allSatisfy { $0.passed || $0.level == .recommended } }
    }

    /// The key the unknown-key check adds to the given configuration.
    package static let unknownKey = "herald-conformance-unknown-key"

    /// `json` (a JSON object's text) with ``unknownKey`` added as its first member, or nil when `json` does not start
    /// with `{`.
    package static func addingUnknownKey(to json: String) -> String? {
        let text = json.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        guard text.first == "{" else { return nil }
        let rest = text.dropFirst()
        let empty = rest.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }.first == "}"
        return "{\"\(unknownKey)\":1" + (empty ? "" : ",") + rest
    }

    /// - Parameters:
    ///   - configJSON: a configuration the plugin accepts: a JSON object (the suite adds an unknown key to it to
    ///     check that the plugin rejects it).
    ///   - settle: how long to let the plugin's own threads work after start and after the announcements.
    package static func run(
        library: PluginLibrary, configJSON: String = "{}", node: LocalNode = LocalNode(name: "conformance-node"),
        settle: Duration = .milliseconds(200)
    ) -> Report {
        var checks: [Check] = []
        let recorder = Recorder()
        let v = library.vtable.pointee
        let factory = library.factoryContext

        func check(_ name: String, _ level: Check.Level = .required, _ body: () -> (Bool, String)) {
            let (ok, detail) = body()
            checks.append(Check(name: name, level: level, passed: ok, detail: detail))
        }

        // Identity.
        if let (stable, refuses) = library.runnerEntryChecks {
            // Loaded by a plugin runner: the runner called the entry function.
            check("entry returns the same descriptor every time") {
                (stable, stable ? "" : "a second call returned another descriptor (seen by the plugin runner)")
            }
            check("entry refuses an unknown ABI major") {
                (
                    refuses,
                    refuses ? "" : "returned a descriptor for major \(HERALD_ABI_MAJOR + 1) (seen by the plugin runner)"
                )
            }
        } else {
            check("entry returns the same descriptor every time") {
                let again = library.entry(UInt32(HERALD_ABI_MAJOR), UInt32(HERALD_ABI_MINOR))
                return (
                    again == library.descriptor,
                    again == library.descriptor ? "" : "a second call returned \(String(describing: again))"
                )
            }
            check("entry refuses an unknown ABI major") {
                let other = library.entry(UInt32(HERALD_ABI_MAJOR) + 1, 0)
                return (other == nil, other == nil ? "" : "returned a descriptor for major \(HERALD_ABI_MAJOR + 1)")
            }
        }

        // Lifecycle edges.
        check("create then destroy, never configured") {
            guard let (handle, table) = create(v, factory, recorder) else { return (false, "create failed") }
            v.destroy!(handle)
            release(table)
            return (true, "")
        }
        check("stop before start is a no-op; stop is idempotent") {
            guard let (handle, table) = create(v, factory, recorder) else { return (false, "create failed") }
            defer { release(table) }
            let status = configure(v, handle, configJSON, node)
            guard status.code == HERALD_OK else {
                v.destroy!(handle)
                return (false, "configure with the given config failed: \(status.text)")
            }
            v.stop!(handle)
            v.stop!(handle)
            v.destroy!(handle)
            return (true, "")
        }
        check("announce before start is refused", .recommended) {
            guard let (handle, table) = create(v, factory, recorder) else { return (false, "create failed") }
            defer {
                v.destroy!(handle)
                release(table)
            }
            _ = configure(v, handle, configJSON, node)
            let status = sample("early/192.0.2.1/32", "192.0.2.1").withCStruct { a in
                callWithError { v.announce!(handle, a, $0, $1) }
            }
            return (
                status.code == HERALD_ERR_STATE, "status \(status.code)\(status.text.isEmpty ? "" : ": \(status.text)")"
            )
        }
        check("configure rejects an unknown key (added to the given config) with a message", .recommended) {
            guard let (handle, table) = create(v, factory, recorder) else { return (false, "create failed") }
            defer {
                v.destroy!(handle)
                release(table)
            }
            // The given config is valid, so a rejection can only be for the added key, not for a missing required
            // one.
            guard let withUnknown = addingUnknownKey(to: configJSON) else {
                return (false, "the given config is not a JSON object")
            }
            let status = configure(v, handle, withUnknown, node)
            return (
                status.code == HERALD_ERR_CONFIG && !status.text.isEmpty,
                status.code == HERALD_OK ? "accepted silently" : "status \(status.code): \(status.text)"
            )
        }

        // The full lifecycle, each call from a different thread, as the host may do.
        check("lifecycle across host threads: configure, start, announce, re-announce, withdraw, stop, destroy") {
            guard let (handle, table) = create(v, factory, recorder) else { return (false, "create failed") }
            defer { release(table) }
            var failures: [String] = []
            var notes: [String] = []
            let announce: (PlannedAnnouncement) -> Status = { a in
                a.withCStruct { c in callWithError { v.announce!(handle, c, $0, $1) } }
            }
            let withdraw: (String) -> Status = { id in
                id.withCString { c in callWithError { v.withdraw!(handle, c, $0, $1) } }
            }
            func step(_ name: String, _ body: () -> Status) -> Status {
                let status = onNewThread(recorder) { body() }
                if status.code != HERALD_OK { failures.append("\(name): status \(status.code) \(status.text)") }
                return status
            }
            _ = step("configure") { configure(v, handle, configJSON, node) }
            _ = step("start") { callWithError { v.start!(handle, $0, $1) } }
            sleep(settle)
            // A plugin may serve one address family only: it refuses the other with INVALID_ARGUMENT or UNSUPPORTED.
            var served = 0
            for sample in [
                sample("conformance/192.0.2.77/32", "192.0.2.77"),
                sample("conformance/2001:db8::77/128", "2001:db8::77"),
            ] {
                let family = sample.address.family
                let first = onNewThread(recorder) { announce(sample) }
                if first.code == HERALD_ERR_INVALID_ARGUMENT || first.code == HERALD_ERR_UNSUPPORTED {
                    notes.append("\(family) refused: \(first.text)")
                    continue
                }
                guard first.code == HERALD_OK else {
                    failures.append("announce \(family): status \(first.code) \(first.text)")
                    continue
                }
                served += 1
                _ = step("re-announce \(family) unchanged") { announce(sample) }
                sleep(settle)
                _ = step("withdraw \(family)") { withdraw(sample.id) }
                _ = step("withdraw \(family) again") { withdraw(sample.id) }
            }
            if served == 0 { failures.append("refused both IPv4 and IPv6") }
            _ = step("withdraw an unknown id") { withdraw("never-announced") }
            if let health = v.health {
                let code = onNewThread(recorder) { () -> Int32 in
                    var buffer = [CChar](repeating: 0, count: 256)
                    return health(handle, &buffer, buffer.count)
                }
                if !(HERALD_HEALTH_OK...HERALD_HEALTH_UNHEALTHY).contains(code) {
                    failures.append("health returned \(code)")
                }
            }
            if let collect = v.collect_metrics {
                _ = onNewThread(recorder) { MetricsCollector.collect { collect(handle, $0) } }
            }
            onNewThread(recorder) { v.stop!(handle) }
            onNewThread(recorder) { v.stop!(handle) }
            onNewThread(recorder) { v.destroy!(handle) }
            return (failures.isEmpty, (failures + notes).joined(separator: "; "))
        }
        check("error text is NUL-terminated within the caller's buffer") {
            guard let (handle, table) = create(v, factory, recorder) else { return (false, "create failed") }
            defer {
                v.destroy!(handle)
                release(table)
            }
            // A 4-byte buffer: a plugin that ignores err_cap writes past it (caught by the guard bytes).
            var buffer = [CChar](repeating: 0x58, count: 12)
            let status = buffer.withUnsafeMutableBufferPointer { b in
                v.start!(handle, b.baseAddress!, 4)
            }
            let guardIntact = buffer[4...].allSatisfy { $0 == 0x58 }
            let terminated = buffer[0..<4].contains(0)
            if status == HERALD_OK { return (guardIntact, "start without configure succeeded") }
            return (
                guardIntact && terminated,
                guardIntact ? (terminated ? "" : "no NUL within err_cap") : "wrote past err_cap"
            )
        }
        return Report(checks: checks, callbacks: recorder.callbacks)
    }

    // MARK: - Helpers

    struct Status {
        var code: Int32
        var text: String
    }

    static func sample(_ id: String, _ address: String) -> PlannedAnnouncement {
        PlannedAnnouncement(
            id: id, address: IPAddress(address)!, prefixLength: address.contains(":") ? 128 : 32,
            services: [ServiceID(namespace: "conformance", name: "svc")], attributesJSON: "{}",
            advertisement: "conformance")
    }

    static func callWithError(_ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) -> Status {
        var buffer = [CChar](repeating: 0, count: 1024)
        let code = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        return Status(code: code, text: PluginInstance.text(buffer))
    }

    static func configure(
        _ v: herald_plugin_vtable, _ handle: UnsafeMutableRawPointer, _ json: String, _ node: LocalNode
    ) -> Status {
        json.withCString { j in node.withCStruct { n in callWithError { v.configure!(handle, j, n, $0, $1) } } }
    }

    static func create(
        _ v: herald_plugin_vtable, _ factory: UnsafeMutableRawPointer?, _ recorder: Recorder
    ) -> (UnsafeMutableRawPointer, UnsafeMutablePointer<herald_host_api>)? {
        let table = recorder.makeTable()
        var handle: UnsafeMutableRawPointer?
        let status = callWithError { v.create!(factory, table, &handle, $0, $1) }
        guard status.code == HERALD_OK, let handle else {
            release(table)
            return nil
        }
        return (handle, table)
    }

    static func release(_ table: UnsafeMutablePointer<herald_host_api>) {
        Unmanaged<InstanceContext>.fromOpaque(table.pointee.context).release()
        table.deallocate()
    }

    static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }

    /// Runs `body` on a fresh thread and waits for it, recording which thread is the host's current caller.
    @discardableResult
    static func onNewThread<R>(_ recorder: Recorder, _ body: () -> R) -> R {
        var result: R?
        withoutActuallyEscaping(body) { body in
            let box = ThreadBox(run: { result = body() }, recorder: recorder)
            var thread = pthread_t()
            pthread_create(
                &thread, nil,
                { arg in
                    let box = Unmanaged<ThreadBox>.fromOpaque(arg!).takeRetainedValue()
                    box.recorder.callerThread.withLock { $0 = UInt(pthread_self()) }
                    box.run()
                    box.recorder.callerThread.withLock { $0 = nil }
                    return nil
                }, Unmanaged.passRetained(box).toOpaque())
            pthread_join(thread, nil)
        }
        return result!
    }

    final class ThreadBox {
        // Used by exactly one thread at a time: created here, run on the new thread, released after pthread_join.
        let run: () -> Void
        let recorder: Recorder
        init(run: @escaping () -> Void, recorder: Recorder) {
            self.run = run
            self.recorder = recorder
        }
    }

    /// Counts callbacks; backed by a real InstanceContext so the host's own callback code is what is exercised.
    final class Recorder: Sendable {
        let counts = Mutex(Callbacks())
        let callerThread = Mutex<UInt?>(nil)

        var callbacks: Callbacks { counts.withLock { $0 } }

        func makeTable() -> UnsafeMutablePointer<herald_host_api> {
            var logger = Logger(label: "herald.conformance", factory: { _ in CountingLogHandler(recorder: self) })
            logger.logLevel = .trace
            let context = InstanceContext(
                instance: "conformance", logger: logger,
                onEvent: { [self] _ in note { $0.events += 1 } },
                onHealth: { [self] _, _ in note { $0.healthReports += 1 } })
            return InstanceContext.makeTable(for: context)
        }

        func note(_ update: (inout Callbacks) -> Void) {
            let caller = callerThread.withLock { $0 }
            let foreign = caller.map { $0 != UInt(pthread_self()) } ?? true
            counts.withLock {
                update(&$0)
                if foreign { $0.fromPluginThreads += 1 }
            }
        }
    }

    struct CountingLogHandler: LogHandler {
        let recorder: Recorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            if !event.message.description.hasPrefix("event ") { recorder.note { $0.logs += 1 } }
        }
    }
}
