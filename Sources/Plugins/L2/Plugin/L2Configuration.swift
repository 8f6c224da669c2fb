import PluginKit

/// The `config` of an ARP or NDP instance (plugins.d). Every key is optional:
///
/// ```yaml
/// config:
///   interfaces: ["eth0", "enp*"]     # names or glob patterns; default: automatic selection
///   excludeInterfaces: ["eth9"]      # never answer on these
///   gratuitous:
///     count: 3                       # announcement rounds on announce (the first at once), 1...100
///     intervalMs: 500                # between rounds, 10...60000
///   rescanIntervalMs: 2000           # interface rescan period besides netlink notifications, 100...60000
/// ```
package struct L2Configuration: Decodable, Sendable {
    package struct Gratuitous: Decodable, Sendable {
        package var count = 3
        package var intervalMs = 500

        package init() {}

        package init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(["count", "intervalMs"])
            let c = try decoder.container(keyedBy: AnyKey.self)
            count = try c.decodeIfPresent(Int.self, forKey: AnyKey(stringValue: "count")) ?? 3
            intervalMs = try c.decodeIfPresent(Int.self, forKey: AnyKey(stringValue: "intervalMs")) ?? 500
            guard (1...100).contains(count) else {
                throw PluginError(.config, "config.gratuitous.count: \(count) is not within 1...100")
            }
            guard (10...60_000).contains(intervalMs) else {
                throw PluginError(.config, "config.gratuitous.intervalMs: \(intervalMs) is not within 10...60000")
            }
        }
    }

    package var interfaces: [String]?
    package var excludeInterfaces: [String] = []
    package var gratuitous = Gratuitous()
    package var rescanIntervalMs = 2000

    package init() {}

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["interfaces", "excludeInterfaces", "gratuitous", "rescanIntervalMs"])
        let c = try decoder.container(keyedBy: AnyKey.self)
        interfaces = try c.decodeIfPresent([String].self, forKey: AnyKey(stringValue: "interfaces"))
        excludeInterfaces = try c.decodeIfPresent([String].self, forKey: AnyKey(stringValue: "excludeInterfaces")) ?? []
        gratuitous = try c.decodeIfPresent(Gratuitous.self, forKey: AnyKey(stringValue: "gratuitous")) ?? Gratuitous()
        rescanIntervalMs = try c.decodeIfPresent(Int.self, forKey: AnyKey(stringValue: "rescanIntervalMs")) ?? 2000
        if let interfaces, interfaces.isEmpty {
            throw PluginError(
                .config, "config.interfaces: an empty list selects nothing; omit the key for automatic selection")
        }
        guard (100...60_000).contains(rescanIntervalMs) else {
            throw PluginError(.config, "config.rescanIntervalMs: \(rescanIntervalMs) is not within 100...60000")
        }
    }

    package var selection: InterfaceSelection { InterfaceSelection(include: interfaces, exclude: excludeInterfaces) }
}
