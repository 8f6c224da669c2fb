#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a plugin says about itself. Exported once through the descriptor.
public struct PluginInfo: Sendable {
    public enum Kind: Sendable {
        /// Layer-2 style: the host elects one node per address.
        case exclusive
        /// Routed: every eligible node announces.
        case routed
    }

    public var id: String
    public var name: String
    public var version: String
    public var description: String
    public var protocols: [String]
    public var kind: Kind

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
    public enum Code: Int32, Sendable {
        case invalidArgument = -1
        case config = -2
        case state = -3
        case unsupported = -4
        case io = -5
        case resource = -6
        case `internal` = -7
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

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
    /// Withdraws everything and stops all threads. Called at most once by the kit.
    func stop()

    /// Applies a new configuration while running. The default refuses (`unsupported`).
    func reconfigure(_ configuration: Configuration) throws
    func health() -> Health
    func collectMetrics(into writer: MetricsWriter)
    func `extension`(_ id: String) -> UnsafeRawPointer?
}

extension HeraldPlugin {
    public func reconfigure(_ configuration: Configuration) throws {
        throw PluginError(.unsupported, "\(Self.info.id) does not support reconfiguration while running")
    }
    public func health() -> Health { .ok }
    public func collectMetrics(into writer: MetricsWriter) {}
    public func `extension`(_ id: String) -> UnsafeRawPointer? { nil }
}

/// A configuration with no keys, for plugins that take none. Any key present is an error.
public struct EmptyConfiguration: Decodable, Sendable {
    public init() {}
    public init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: AnyKey.self), let key = keyed.allKeys.first {
            throw PluginError(.config, "unknown key \"\(key.stringValue)\": this plugin takes no configuration")
        }
    }
}

/// A coding key that accepts any name, for rejecting unknown keys.
public struct AnyKey: CodingKey, Sendable {
    public var stringValue: String
    public var intValue: Int?
    public init(stringValue: String) { self.stringValue = stringValue }
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
