#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a plugin says about itself. Exported once through the descriptor.
public struct PluginInfo: Sendable {
    /// How the host chooses the nodes that announce an address.
    public enum Kind: Sendable {
        /// Layer-2 style: the host elects one node per address.
        case exclusive
        /// Routed: every eligible node announces.
        case routed
    }

    /// Unique reverse-DNS id (`dev.herald.arp`).
    public var id: String
    /// Short human name (`ARP announcer`).
    public var name: String
    /// The plugin's own version (`1.2.0`).
    public var version: String
    /// One sentence on what the plugin does.
    public var description: String
    /// The protocol names the plugin implements (`arp`, `bgp`).
    public var protocols: [String]
    /// Exclusive or routed; see `Kind`.
    public var kind: Kind

    /// Describes a plugin.
    public init(id: String, name: String, version: String, description: String, protocols: [String], kind: Kind) {
        self.id = id
        self.name = name
        self.version = version
        self.description = description
        self.protocols = protocols
        self.kind = kind
    }
}

/// An error a plugin reports to the host: an ABI status code and a message an operator can act on.
public struct PluginError: Error, Sendable, CustomStringConvertible {
    /// The status codes a plugin call fails with (`HERALD_ERR_*` in herald_plugin.h).
    public enum Code: Int32, Sendable {
        case invalidArgument = -1
        case config = -2
        case state = -3
        case unsupported = -4
        case io = -5
        case resource = -6
        case `internal` = -7
    }

    /// The status code the failed call returns.
    public var code: Code
    /// The text the host logs and reports to the operator.
    public var message: String

    /// An error with its status code and message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

/// A plugin written in Swift. The kit turns a type conforming to this into the C ABI; see `PluginExporter`.
///
/// The host never calls one instance concurrently, so a conforming class needs no lock for state touched only from
/// these methods. State shared with threads the plugin starts needs its own synchronisation.
public protocol HeraldPlugin: AnyObject {
    /// The instance's `config` from its plugins.d file, decoded from JSON. Unknown keys should be rejected by the
    /// type's `init(from:)` if silently ignoring them could surprise an operator.
    associatedtype Configuration: Decodable

    static var info: PluginInfo { get }

    /// Builds a configured instance. No sockets or threads yet: those belong in `start()`.
    init(configuration: Configuration, node: NodeInfo, host: PluginHost) throws

    func start() throws
    /// Announces (or re-announces with new details) an address. Must be idempotent.
    func announce(_ announcement: Announcement) throws
    /// Withdraws an address; unknown ids are not an error.
    func withdraw(id: String) throws
    /// Withdraws everything and stops all threads (after `prepareStop(.restart)` returned true: leaves in the
    /// network what the protocol keeps through a restart). Called at most once by the kit.
    func stop()
    /// Told why the next `stop` happens (extension `herald.lifecycle/1`, which the kit offers for every Swift
    /// plugin). Returns true when `stop` will leave some announcements in the network; the host then does not
    /// withdraw them first. The default returns false: every stop withdraws.
    func prepareStop(_ reason: StopReason) -> Bool

    /// Applies a new configuration while running. The default refuses (`unsupported`).
    func reconfigure(_ configuration: Configuration) throws
    func health() -> Health
    func collectMetrics(into writer: MetricsWriter)
    func `extension`(_ id: String) -> UnsafeRawPointer?
}

extension HeraldPlugin {
    /// Refuses with `unsupported`: the host then restarts the instance with the new configuration.
    public func reconfigure(_ configuration: Configuration) throws {
        throw PluginError(.unsupported, "\(Self.info.id) does not support reconfiguration while running")
    }
    /// Always `.ok`.
    public func health() -> Health { .ok }
    /// Writes no metrics.
    public func collectMetrics(into writer: MetricsWriter) {}
    /// Offers no extension.
    public func `extension`(_ id: String) -> UnsafeRawPointer? { nil }
    /// Keeps nothing: every stop withdraws.
    public func prepareStop(_ reason: StopReason) -> Bool { false }
}

/// Why an instance stops (`HERALD_STOP_*`).
public enum StopReason: Int32, Sendable, CustomStringConvertible {
    /// The node stops announcing for good.
    case final = 0
    /// The process restarts and will be back within the protocol's grace period.
    case restart = 1

    public var description: String { self == .final ? "final" : "restart" }
}

/// A configuration with no keys, for plugins that take none. Any key present is an error.
public struct EmptyConfiguration: Decodable, Sendable {
    /// The empty configuration.
    public init() {}
    /// Decodes `{}` (or no object); any key is a config error.
    public init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: AnyKey.self), let key = keyed.allKeys.first {
            throw PluginError(.config, "unknown key \"\(key.stringValue)\": this plugin takes no configuration")
        }
    }
}

/// A coding key that accepts any name, for rejecting unknown keys.
public struct AnyKey: CodingKey, Sendable {
    /// The key's name.
    public var stringValue: String
    /// The list position, for a key that is one.
    public var intValue: Int?
    /// A key with this name.
    public init(stringValue: String) { self.stringValue = stringValue }
    /// A key for a list position.
    public init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// A coding path as an operator finds it in the YAML: keys joined by dots, list positions in brackets (`peers[0].bfd`,
/// never the decoder's `peers.Index 0.bfd`).
public func configPath(_ keys: [any CodingKey]) -> String {
    var text = ""
    for key in keys {
        if let index = key.intValue {
            text += "[\(index)]"
        } else {
            text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
        }
    }
    return text
}

extension Decoder {
    /// Throws a config error naming the first key of this object that is not in `known`. Call it at the top of a
    /// custom `init(from:)` so that a typo in an operator's YAML is reported instead of silently ignored.
    public func rejectUnknownKeys(_ known: Set<String>) throws {
        let container = try container(keyedBy: AnyKey.self)
        for key in container.allKeys where !known.contains(key.stringValue) {
            let path = configPath(codingPath + [key])
            let expected = known.sorted().joined(separator: ", ")
            throw PluginError(.config, "unknown key \"\(path)\" (known keys: \(expected))")
        }
    }
}
