import CHeraldPlugin
import HeraldCore
import Logging
import Synchronization

/// A failed call into a plugin instance: which instance, which call, the ABI status and the plugin's own words.
public struct PluginCallError: Error, Sendable, Equatable, CustomStringConvertible {
    public var instance: String
    public var call: String
    public var status: Int32
    public var message: String

    public var description: String { "plugin instance \"\(instance)\": \(detail)" }

    /// The failure without the instance name, for messages that already name it.
    public var detail: String {
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

/// One running instance of a plugin. Every call into the plugin is serialised (the ABI promises plugins that one
/// instance is never called concurrently); host callbacks from the plugin go to its `InstanceContext` and never wait
/// for this lock, so a plugin may log from inside a call.
public final class PluginInstance: Sendable {
    public let name: String
    public let library: PluginLibrary
    let context: InstanceContext
    private let state: Mutex<State>
    /// How a crash report names this instance.
    private let place: String

    public enum Phase: Sendable, Equatable { case created, configured, started, stopped, destroyed, failed }

    struct State {
        var handle: UnsafeMutableRawPointer?
        var table: UnsafeMutablePointer<herald_host_api>?
        var phase = Phase.created
        /// What this instance currently announces, so that stop can withdraw it and `announced` can be asked.
        var announced: [String: Announcement] = [:]
    }

    /// Creates the instance (`vtable->create`). No configuration yet.
    public init(
        name: String, library: PluginLibrary, logger: Logger,
        onEvent: @escaping @Sendable (PluginEvent) -> Void = { _ in },
        onHealth: @escaping @Sendable (String, PluginHealth) -> Void = { _, _ in }
    ) throws(PluginCallError) {
        self.name = name
        self.library = library
        let context = InstanceContext(instance: name, logger: logger, onEvent: onEvent, onHealth: onHealth)
        self.context = context
        let table = InstanceContext.makeTable(for: context)
        var handle: UnsafeMutableRawPointer?
        var buffer = [CChar](repeating: 0, count: Self.errorCapacity)
        let place = CrashRecord.place(library: library.path, instance: name)
        self.place = place
        let status = CrashRecord.during(place, "create") {
            library.vtable.pointee.create!(library.factoryContext, table, &handle, &buffer, buffer.count)
        }
        guard status == HERALD_OK, handle != nil else {
            Unmanaged<InstanceContext>.fromOpaque(table.pointee.context).release()
            table.deallocate()
            throw PluginCallError(
                instance: name, call: "create", status: status == HERALD_OK ? HERALD_ERR_INTERNAL : status,
                message: status == HERALD_OK ? "create returned no instance" : Self.text(buffer))
        }
        state = Mutex(State(handle: handle, table: table))
    }

    deinit { destroy() }

    public var phase: Phase { state.withLock { $0.phase } }
    public var info: PluginInfo { library.info }
    public var announced: [String: Announcement] { state.withLock { $0.announced } }
    /// Log lines the instance wrote through the host, lines the rate limit dropped, and events it raised.
    public var activity: (logLines: Int, suppressedLogLines: Int, events: Int) {
        let c = context.counters
        return (c.logLines, c.suppressed, c.events)
    }

    public func configure(json: String, node: NodeInfo) throws(PluginCallError) {
        try call("configure", allowed: [.created, .configured, .started]) { v, handle, err, cap in
            json.withCString { j in node.withCStruct { n in v.configure!(handle, j, n, err, cap) } }
        } after: { state in
            if state.phase == .created { state.phase = .configured }
        }
    }

    public func start() throws(PluginCallError) {
        try call("start", allowed: [.configured]) { v, handle, err, cap in
            v.start!(handle, err, cap)
        } after: {
            $0.phase = .started
        }
    }

    public func announce(_ announcement: Announcement) throws(PluginCallError) {
        try call("announce \(announcement.address)/\(announcement.prefixLength)", allowed: [.started]) {
            v, handle, err, cap in
            announcement.withCStruct { v.announce!(handle, $0, err, cap) }
        } after: {
            $0.announced[announcement.id] = announcement
        }
    }

    public func withdraw(id: String) throws(PluginCallError) {
        try call("withdraw \(id)", allowed: [.started]) { v, handle, err, cap in
            id.withCString { v.withdraw!(handle, $0, err, cap) }
        } after: {
            $0.announced[id] = nil
        }
    }

    /// Polls the plugin's health (or its last pushed report when it has no health function).
    public func health() -> PluginHealth {
        let polled = state.withLock { s -> PluginHealth? in
            guard let handle = s.handle, s.phase == .started, let health = library.vtable.pointee.health else {
                return s.phase == .failed ? PluginHealth(.unhealthy, "the instance failed") : nil
            }
            var buffer = [CChar](repeating: 0, count: 256)
            let raw = CrashRecord.during(place, "health") { health(handle, &buffer, buffer.count) }
            return PluginHealth(
                PluginHealth.State(rawValue: raw) ?? .unhealthy, buffer[0] == 0 ? nil : Self.text(buffer))
        }
        let pushed = context.pushedHealth
        guard let polled else { return pushed }
        return pushed.state > polled.state ? pushed : polled
    }

    /// The instance's metrics, as the plugin reports them.
    public func collectMetrics() -> [PluginMetric] {
        state.withLock { s -> [PluginMetric] in
            guard let handle = s.handle, s.phase == .started, let collect = library.vtable.pointee.collect_metrics
            else { return [] }
            return CrashRecord.during(place, "collect_metrics") {
                MetricsCollector.collect { sink in collect(handle, sink) }
            }
        }
    }

    /// Withdraws everything still announced, then stops the plugin. Idempotent.
    public func stop() {
        let ids = state.withLock { s -> [String] in s.phase == .started ? s.announced.keys.sorted() : [] }
        for id in ids {
            do throws(PluginCallError) { try withdraw(id: id) } catch {
                context.logger.warning("\(error)")
            }
        }
        state.withLock { s in
            guard let handle = s.handle, s.phase != .stopped, s.phase != .destroyed else { return }
            CrashRecord.during(place, "stop") { library.vtable.pointee.stop!(handle) }
            s.phase = .stopped
            s.announced = [:]
        }
    }

    /// Stops (if needed) and frees the instance. After this, every call fails with a state error.
    public func destroy() {
        stop()
        state.withLock { s in
            guard let handle = s.handle else { return }
            CrashRecord.during(place, "destroy") { library.vtable.pointee.destroy!(handle) }
            s.handle = nil
            if let table = s.table {
                Unmanaged<InstanceContext>.fromOpaque(table.pointee.context).release()
                table.deallocate()
            }
            s.table = nil
            s.phase = .destroyed
        }
    }

    /// An extension of the plugin by versioned id, or nil (also for plugins built before the slot existed).
    public func extensionPointer(_ id: String) -> UnsafeRawPointer? {
        state.withLock { s in
            guard let handle = s.handle, library.hasSlot(\.get_extension),
                let get = library.vtable.pointee.get_extension
            else { return nil }
            return CrashRecord.during(place, "get_extension") { id.withCString { get(handle, $0) } }
        }
    }

    static let errorCapacity = 1024

    private func call(
        _ what: String, allowed: Set<Phase>,
        _ body: (herald_plugin_vtable, UnsafeMutableRawPointer, UnsafeMutablePointer<CChar>, Int) -> Int32,
        after: (inout State) -> Void
    ) throws(PluginCallError) {
        let result: Result<Void, PluginCallError> = state.withLock { s in
            guard let handle = s.handle, allowed.contains(s.phase) else {
                return .failure(
                    PluginCallError(
                        instance: name, call: what, status: HERALD_ERR_STATE, message: "the instance is \(s.phase)"))
            }
            var buffer = [CChar](repeating: 0, count: Self.errorCapacity)
            let status = CrashRecord.during(place, what) {
                buffer.withUnsafeMutableBufferPointer {
                    body(library.vtable.pointee, handle, $0.baseAddress!, $0.count)
                }
            }
            guard status == HERALD_OK else {
                if status == HERALD_ERR_INTERNAL { s.phase = .failed }
                return .failure(PluginCallError(instance: name, call: what, status: status, message: Self.text(buffer)))
            }
            after(&s)
            return .success(())
        }
        try result.get()
    }

    static func text(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

// The handle and table pointers are only touched under the Mutex, and the plugin promises nothing about thread
// affinity beyond serialised calls, which the Mutex provides.
extension PluginInstance.State: @unchecked Sendable {}
