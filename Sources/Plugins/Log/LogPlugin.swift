import PluginKit

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// The `log` plugin: announces nothing on the network; it reports every announce and withdraw through the host's log
/// and, optionally, appends them as JSON lines to a file. The safe default, and a template for plugin authors.
final class LogPlugin: HeraldPlugin {
    struct Configuration: Decodable {
        /// Level of the announce/withdraw lines: trace, debug, info (default), notice, warning.
        var level: String = "info"
        /// Also append one JSON object per call to this file (created 0644 if missing).
        var file: String?

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(["level", "file"])
            let c = try decoder.container(keyedBy: AnyKey.self)
            level = try c.decodeIfPresent(String.self, forKey: AnyKey(stringValue: "level")) ?? "info"
            file = try c.decodeIfPresent(String.self, forKey: AnyKey(stringValue: "file"))
            guard Self.levels[level] != nil else {
                let known = Self.levels.keys.sorted().joined(separator: ", ")
                throw PluginError(.config, "config.level: \"\(level)\" is not one of \(known)")
            }
        }

        static let levels: [String: LogLevel] = [
            "trace": .trace, "debug": .debug, "info": .info, "notice": .notice, "warning": .warning,
        ]
    }

    static let info = PluginInfo(
        id: "dev.herald.log",
        name: "Log announcer",
        version: "1.0.0",
        description: "Logs announcements instead of sending them to the network; optionally records them to a file.",
        protocols: ["log"],
        kind: .routed
    )

    private let host: PluginHost
    private let level: LogLevel
    private let path: String?
    private let node: NodeInfo
    private var file: UnsafeMutablePointer<FILE>?
    /// What a withdraw line names, per announced id: the whole announcement is not kept (a host announcing 10,000
    /// addresses would hold every copy of them twice).
    private var active: [String: Active] = [:]
    private var announces = 0
    private var withdraws = 0

    struct Active {
        var address: String
        var prefixLength: Int
        /// The services, comma-separated.
        var services: String
    }

    init(configuration: Configuration, node: NodeInfo, host: PluginHost) throws {
        self.host = host
        self.level = Configuration.levels[configuration.level]!
        self.path = configuration.file
        self.node = node
    }

    func start() throws {
        if let path {
            guard let handle = fopen(path, "a") else {
                throw PluginError(.io, "cannot open \(path) for appending: \(String(cString: strerror(errno)))")
            }
            setvbuf(handle, nil, _IOLBF, 0)
            file = handle
        }
        record(["call": "start", "node": node.name])
    }

    func announce(_ a: Announcement) throws {
        let entry = Active(
            address: a.address, prefixLength: a.prefixLength, services: a.services.joined(separator: ","))
        let replaced = active.updateValue(entry, forKey: a.id) != nil
        announces += 1
        host.log(
            level,
            "\(replaced ? "re-announce" : "announce") \(a.address)/\(a.prefixLength) for \(entry.services) "
                + "via \(a.advertisement.isEmpty ? "-" : a.advertisement) attributes \(a.attributesJSON)")
        record([
            "call": "announce", "id": a.id, "address": a.address, "prefixLength": String(a.prefixLength),
            "services": entry.services, "attributes": a.attributesJSON,
        ])
    }

    func withdraw(id: String) throws {
        guard let a = active.removeValue(forKey: id) else {
            record(["call": "withdraw", "id": id, "known": "false"])
            return
        }
        withdraws += 1
        host.log(level, "withdraw \(a.address)/\(a.prefixLength) for \(a.services)")
        record(["call": "withdraw", "id": id, "address": a.address])
    }

    func stop() {
        for id in active.keys.sorted() { try? withdraw(id: id) }
        record(["call": "stop"])
        if let file { fclose(file) }
        file = nil
    }

    func collectMetrics(into writer: MetricsWriter) {
        writer.gauge("log_active_announcements", Double(active.count), help: "Addresses currently announced")
        writer.counter("log_announce_calls_total", Double(announces), help: "Announce calls received")
        writer.counter("log_withdraw_calls_total", Double(withdraws), help: "Withdraw calls for known ids")
    }

    /// Appends one JSON line, stamped with CLOCK_MONOTONIC nanoseconds (`time`): one clock for every process and
    /// network namespace of the machine, so that the records of several hosts can be merged in order.
    private func record(_ fields: [String: String]) {
        guard let file else { return }
        var fields = fields
        fields["time"] = String(MonotonicClock.now())
        let object = fields.sorted { $0.key < $1.key }
            .map { "\(JSONString.quoted($0.key)):\(JSONString.quoted($0.value))" }
            .joined(separator: ",")
        fputs("{\(object)}\n", file)
        fflush(file)
    }
}

private let exporter = PluginExporter(LogPlugin.self)

@c @implementation
public func herald_plugin_entry_v1(_ major: UInt32, _ minor: UInt32) -> UnsafePointer<herald_plugin_descriptor>? {
    exporter.entry(hostMajor: major, hostMinor: minor)
}
