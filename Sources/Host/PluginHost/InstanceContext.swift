import CHeraldPlugin
import HeraldCore
import Logging
import Synchronization

/// The host side of one instance's `herald_host_api`: every callback lands here, attributed to the instance.
/// Thread-safe: plugins may call from any thread.
final class InstanceContext: Sendable {
    let instance: String
    let logger: Logger
    let onEvent: @Sendable (PluginEvent) -> Void
    let onHealth: @Sendable (String, PluginHealth) -> Void
    private let state: Mutex<State>

    struct State {
        var pushedHealth = PluginHealth(.ok)
        var bucket = TokenBucket(burst: InstanceContext.logBurst, refillPerSecond: InstanceContext.logRate)
        /// Lines dropped since the last line let through (reported with the next one).
        var pendingSuppressed = 0
        var suppressed = 0
        var logLines = 0
        var events = 0
    }

    /// Log lines a plugin may send in a burst, and per second after that; the rest are counted and summarised.
    static let logBurst = 200
    static let logRate = 50.0
    /// Monotonic time for the rate limiter.
    private static let epoch = ContinuousClock.now

    init(
        instance: String, logger: Logger, onEvent: @escaping @Sendable (PluginEvent) -> Void,
        onHealth: @escaping @Sendable (String, PluginHealth) -> Void
    ) {
        self.instance = instance
        var logger = logger
        logger[metadataKey: "plugin-instance"] = .string(instance)
        self.logger = logger
        self.onEvent = onEvent
        self.onHealth = onHealth
        self.state = Mutex(State())
    }

    var pushedHealth: PluginHealth { state.withLock { $0.pushedHealth } }
    var counters: (logLines: Int, suppressed: Int, events: Int) {
        state.withLock { ($0.logLines, $0.suppressed, $0.events) }
    }

    func log(level: Int32, message: String) {
        let (allowed, resumedAfter) = state.withLock { s -> (Bool, Int) in
            guard s.bucket.tryTake(now: ContinuousClock.now - Self.epoch) else {
                s.suppressed += 1
                s.pendingSuppressed += 1
                return (false, 0)
            }
            s.logLines += 1
            let resumed = s.pendingSuppressed
            s.pendingSuppressed = 0
            return (true, resumed)
        }
        guard allowed else { return }
        if resumedAfter > 0 {
            logger.warning("suppressed \(resumedAfter) log lines from this plugin instance (rate limit)")
        }
        logger.log(level: Self.level(level), "\(message)")
    }

    func event(_ event: PluginEvent) {
        state.withLock { $0.events += 1 }
        logger.log(
            level: event.warning ? .warning : .info, "event \(event.reason): \(event.message)",
            metadata: event.announcementID.map { ["announcement": .string($0)] })
        onEvent(event)
    }

    func reportHealth(_ health: PluginHealth) {
        let changed = state.withLock { s -> Bool in
            defer { s.pushedHealth = health }
            return s.pushedHealth != health
        }
        if changed {
            logger.log(
                level: health.state == .ok ? .info : .warning,
                "health \(health.state)\(health.detail.map { ": \($0)" } ?? "")")
            onHealth(instance, health)
        }
    }

    static func level(_ raw: Int32) -> Logger.Level {
        switch raw {
        case HERALD_LOG_TRACE: .trace
        case HERALD_LOG_DEBUG: .debug
        case HERALD_LOG_INFO: .info
        case HERALD_LOG_NOTICE: .notice
        case HERALD_LOG_WARNING: .warning
        case HERALD_LOG_ERROR: .error
        default: raw > HERALD_LOG_ERROR ? .error : .info
        }
    }

    /// The C table handed to the plugin. Allocated per instance; freed by the instance after destroy.
    static func makeTable(for context: InstanceContext) -> UnsafeMutablePointer<herald_host_api> {
        let table = UnsafeMutablePointer<herald_host_api>.allocate(capacity: 1)
        table.initialize(
            to: herald_host_api(
                struct_size: UInt32(MemoryLayout<herald_host_api>.size),
                abi_major: UInt16(HERALD_ABI_MAJOR),
                abi_minor: UInt16(HERALD_ABI_MINOR),
                context: Unmanaged.passRetained(context).toOpaque(),
                log: { context, level, message in
                    guard let context, let message else { return }
                    InstanceContext.from(context).log(level: level, message: String(cString: message))
                },
                emit_event: { context, type, reason, message, announcement in
                    guard let context else { return }
                    let c = InstanceContext.from(context)
                    c.event(
                        PluginEvent(
                            instance: c.instance, warning: type == HERALD_EVENT_WARNING,
                            reason: reason.map { String(cString: $0) } ?? "PluginEvent",
                            message: message.map { String(cString: $0) } ?? "",
                            announcementID: announcement.map { String(cString: $0) }))
                },
                report_health: { context, state, detail in
                    guard let context else { return }
                    let health = PluginHealth(
                        PluginHealth.State(rawValue: state) ?? .unhealthy, detail.map { String(cString: $0) })
                    InstanceContext.from(context).reportHealth(health)
                },
                get_extension: { _, _ in nil }
            ))
        return table
    }

    static func from(_ pointer: UnsafeMutableRawPointer) -> InstanceContext {
        Unmanaged<InstanceContext>.fromOpaque(pointer).takeUnretainedValue()
    }
}
