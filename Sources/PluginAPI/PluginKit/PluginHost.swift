@_exported import CHeraldPlugin
// `JSONString`, for plugins that write JSON text (records, attributes): the escaping the host uses too.
@_exported import HeraldJSON

/// Severity of a log line sent to the host.
public enum LogLevel: Int32, Sendable, Comparable {
    case trace = 0, debug, info, notice, warning, error
    /// Orders levels by severity.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Data-plane health of an instance as the host sees it.
public enum Health: Sendable, Equatable {
    case ok
    case degraded(String)
    case unhealthy(String)

    var code: Int32 {
        switch self {
        case .ok: HERALD_HEALTH_OK
        case .degraded: HERALD_HEALTH_DEGRADED
        case .unhealthy: HERALD_HEALTH_UNHEALTHY
        }
    }

    var detail: String? {
        switch self {
        case .ok: nil
        case .degraded(let d), .unhealthy(let d): d
        }
    }
}

/// The host's callbacks, for one plugin instance. Every method is thread-safe and may be called from threads the plugin
/// owns, from `init` until `stop()` has returned.
public struct PluginHost: @unchecked Sendable {
    // Sendable by the ABI's contract: the host table lives until destroy returns and every function in it is
    // thread-safe (herald_plugin.h, "THREADING").
    let api: UnsafePointer<herald_host_api>

    init(_ api: UnsafePointer<herald_host_api>) { self.api = api }

    /// The ABI version of the host that loaded this plugin.
    public var abiVersion: (major: Int, minor: Int) { (Int(api.pointee.abi_major), Int(api.pointee.abi_minor)) }

    /// Sends a log line to the host's log at `level`.
    public func log(_ level: LogLevel, _ message: String) {
        guard let log = api.pointee.log else { return }
        message.withCString { log(api.pointee.context, level.rawValue, $0) }
    }

    /// An operator-visible event (a Kubernetes Event where the host runs in a cluster).
    public func event(warning: Bool = false, reason: String, message: String, announcementID: String? = nil) {
        guard let emit = api.pointee.emit_event else { return }
        let type = warning ? HERALD_EVENT_WARNING : HERALD_EVENT_NORMAL
        reason.withCString { r in
            message.withCString { m in
                if let announcementID {
                    announcementID.withCString { emit(api.pointee.context, type, r, m, $0) }
                } else {
                    emit(api.pointee.context, type, r, m, nil)
                }
            }
        }
    }

    /// Push a health change now rather than waiting for the host's next poll.
    public func report(_ health: Health) {
        guard let report = api.pointee.report_health else { return }
        if let detail = health.detail {
            detail.withCString { report(api.pointee.context, health.code, $0) }
        } else {
            report(api.pointee.context, health.code, nil)
        }
    }

    /// A host extension by versioned id, or nil when the host does not offer it.
    public func extensionPointer(_ id: String) -> UnsafeRawPointer? {
        guard let get = api.pointee.get_extension else { return nil }
        return id.withCString { get(api.pointee.context, $0) }
    }
}
