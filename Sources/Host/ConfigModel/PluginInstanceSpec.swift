import HeraldCore

/// One `plugins.d/*.yaml` file: a plugin instance the host should run.
///
/// ```yaml
/// name: l2            # instance name, referenced by advertisements
/// library: herald-arp # a name searched on the plugin path, or a path
/// enabled: true       # default true
/// config: {…}         # handed to the plugin as JSON
/// callTimeoutMs: 5000 # how long the host waits for one call into the plugin
/// isolation: process  # load the plugin in a child process of its own (default inProcess)
/// memoryLimitMiB: 512 # with isolation: process, the child's address-space limit (default none)
/// fileLimit: 1024     # with isolation: process, the child's open-file limit (default the host's)
/// capabilities: [NET_RAW] # with isolation: process, what the child keeps (default: a bundled plugin's own, else none)
/// ```
public struct PluginInstanceSpec: Sendable, Equatable {
    public static let kind = "PluginInstance"
    /// The values `callTimeoutMs` may take: a tenth of a second to ten minutes.
    public static let callTimeoutRange = 100...600_000

    public var name: String
    public var library: String
    public var enabled: Bool
    /// The `config` mapping as JSON object text (`{}` when absent).
    public var configJSON: String
    /// How long the host waits for one call into the plugin (`callTimeoutMs`); nil: the host's default.
    public var callTimeoutMilliseconds: Int?
    /// Where the plugin runs: in the host (the default) or in a plugin runner child of its own.
    public var isolation: Isolation = .inProcess
    /// With `isolation: process`: the runner's address-space limit, MiB (`memoryLimitMiB`), and open-file limit.
    public var memoryLimitMiB: Int?
    public var fileLimit: Int?
    /// With `isolation: process`: the capabilities the runner keeps (`capabilities`); nil: a bundled plugin's own
    /// (``RunnerCapabilities/bundledDefault(library:)``), none for any other library.
    public var capabilities: RunnerCapabilities?

    /// The capabilities a runner for this instance keeps.
    public var runnerCapabilities: RunnerCapabilities {
        capabilities ?? RunnerCapabilities.bundledDefault(library: library) ?? RunnerCapabilities(mask: 0)
    }

    public enum Isolation: String, Sendable, Equatable {
        case inProcess, process
    }

    /// The values `memoryLimitMiB` may take (the Swift runtime and a plugin's threads need tens of MiB of address
    /// space), and `fileLimit`.
    public static let memoryLimitRange = 64...1_048_576
    public static let fileLimitRange = 16...1_048_576
    /// Where it was read from, for messages.
    public var file: String
    /// Where each top-level key's value is written (`name`, `library`, `enabled`, `config`), so that a problem found
    /// later (a library not found, a config the plugin rejects) points at the value at fault. Not part of equality.
    public var locations: [String: SourceLocation] = [:]

    /// The place to report a problem with `key`'s value: where it is written, else the start of the file.
    public func location(of key: String) -> SourceLocation {
        locations[key] ?? SourceLocation(file: file, line: 1, column: 1)
    }

    /// Where a plugin's own words about its config point: `unknown key "k"` (or `"config.k"`) at that key,
    /// `config.a.b: …` at that value (the longest path written in the file), anything else at the `config` value.
    public func location(ofPluginMessage message: String) -> SourceLocation {
        if let open = message.firstRange(of: "unknown key \""),
            let close = message[open.upperBound...].firstIndex(of: "\"")
        {
            var key = String(message[open.upperBound..<close])
            if key.hasPrefix("config.") { key.removeFirst("config.".count) }
            if let exact = locations["config.\(key)#key"] { return exact }
            let shallowest = locations.keys.filter { $0.hasSuffix(".\(key)#key") }.min { $0.count < $1.count }
            if let shallowest, let location = locations[shallowest] { return location }
        }
        let paths = locations.keys.filter { $0.hasPrefix("config") && !$0.hasSuffix("#key") }
        let matching = paths.filter { path in
            guard message.hasPrefix(path) else { return false }
            let next = message.dropFirst(path.count).first
            return next == nil || next == ":" || next == " "
        }
        if let longest = matching.max(by: { $0.count < $1.count }), let location = locations[longest] {
            return location
        }
        return location(of: "config")
    }

    public static func == (a: Self, b: Self) -> Bool {
        (a.name, a.library, a.enabled, a.configJSON, a.file, a.callTimeoutMilliseconds)
            == (b.name, b.library, b.enabled, b.configJSON, b.file, b.callTimeoutMilliseconds)
            && (a.isolation, a.memoryLimitMiB, a.fileLimit) == (b.isolation, b.memoryLimitMiB, b.fileLimit)
            && a.capabilities == b.capabilities
    }

    public init(name: String, library: String, enabled: Bool = true, configJSON: String = "{}", file: String) {
        self.name = name
        self.library = library
        self.enabled = enabled
        self.configJSON = configJSON
        self.file = file
    }
}
