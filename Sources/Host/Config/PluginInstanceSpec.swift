import HeraldConfigModel
import HeraldCore
import Yams

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
        if let open = message.range(of: "unknown key \""),
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

    /// The instance name a file declares, even when the file is otherwise invalid (nil when it declares none).
    public static func declaredName(_ text: String) -> String? {
        var reader = YAMLReader(file: "")
        guard let root = reader.parse(text), let name = root.mapping?["name"]?.scalar?.string, !name.isEmpty else {
            return nil
        }
        return name
    }

    public init(name: String, library: String, enabled: Bool = true, configJSON: String = "{}", file: String) {
        self.name = name
        self.library = library
        self.enabled = enabled
        self.configJSON = configJSON
        self.file = file
    }

    /// Parses one plugins.d file, reporting every problem with file, line and column.
    public static func parse(_ text: String, file: String) -> Result<PluginInstanceSpec, ConfigErrors> {
        var reader = YAMLReader(file: file)
        guard let root = reader.parse(text) else { return .failure(ConfigErrors(reader.diagnostics)) }
        let known = [
            "apiVersion", "kind", "name", "library", "enabled", "config", "callTimeoutMs", "isolation",
            "memoryLimitMiB",
            "fileLimit", "capabilities",
        ]
        guard
            let fields = reader.mapping(root, path: "the plugin instance", known: known, required: ["name", "library"])
        else { return .failure(ConfigErrors(reader.diagnostics)) }
        if let version = reader.string(fields["apiVersion"], path: "apiVersion"),
            version != HeraldConfiguration.apiVersion
        {
            reader.error(
                fields["apiVersion"], "apiVersion \"\(version)\" is not supported",
                hint: "use apiVersion: \(HeraldConfiguration.apiVersion)")
        }
        if let kind = reader.string(fields["kind"], path: "kind"), kind != Self.kind {
            reader.error(fields["kind"], "kind \"\(kind)\" is not \(Self.kind)")
        }
        let name = reader.name(fields["name"], path: "name")
        let library = reader.string(fields["library"], path: "library")
        if let library, library.isEmpty { reader.error(fields["library"], "library is empty") }
        let enabled = reader.bool(fields["enabled"], path: "enabled") ?? true
        let callTimeout = reader.int(fields["callTimeoutMs"], path: "callTimeoutMs", range: Self.callTimeoutRange)
        var isolation = Isolation.inProcess
        if let text = reader.string(fields["isolation"], path: "isolation") {
            if let value = Isolation(rawValue: text) {
                isolation = value
            } else {
                reader.error(
                    fields["isolation"], "isolation \"\(text)\" is not known",
                    hint: "use inProcess (the default) or process")
            }
        }
        let memoryLimit = reader.int(fields["memoryLimitMiB"], path: "memoryLimitMiB", range: Self.memoryLimitRange)
        let fileLimit = reader.int(fields["fileLimit"], path: "fileLimit", range: Self.fileLimitRange)
        var capabilities: RunnerCapabilities?
        if fields["capabilities"] != nil, let items = reader.sequence(fields["capabilities"], path: "capabilities") {
            var names: [String] = []
            for (index, item) in items.enumerated() {
                guard let name = reader.string(item, path: "capabilities[\(index)]") else { continue }
                if RunnerCapabilities.number(name) == nil {
                    reader.error(
                        item, "capabilities[\(index)] \"\(name)\" is not a Linux capability",
                        hint: "use names such as NET_RAW, NET_BIND_SERVICE or NET_ADMIN (CAP_ prefix optional)")
                } else {
                    names.append(name)
                }
            }
            capabilities = RunnerCapabilities(names: names)
        }
        for key in ["memoryLimitMiB", "fileLimit", "capabilities"] where isolation != .process && fields[key] != nil {
            reader.error(
                fields[key], "\(key) limits a plugin runner, and this instance runs in the host",
                hint: "add isolation: process, or remove \(key)")
        }
        var configJSON = "{}"
        if let config = fields["config"] {
            switch config {
            case .mapping: configJSON = JSONText.from(config)
            case .scalar where config.tagName == .null: configJSON = "{}"
            default: reader.error(config, "config must be a mapping, found \(reader.kind(of: config))")
            }
        }
        guard reader.diagnostics.isEmpty, let name, let library else {
            return .failure(ConfigErrors(reader.diagnostics))
        }
        var spec = PluginInstanceSpec(
            name: name, library: library, enabled: enabled, configJSON: configJSON, file: file)
        spec.callTimeoutMilliseconds = callTimeout
        spec.isolation = isolation
        spec.memoryLimitMiB = memoryLimit
        spec.fileLimit = fileLimit
        spec.capabilities = capabilities
        for (key, node) in fields { spec.locations[key] = reader.location(node) }
        if let config = fields["config"] { recordLocations(config, path: "config", reader, into: &spec.locations) }
        return .success(spec)
    }

    /// Records where every value under `node` is written (`config.a.b`, `config.list[0]`) and every key
    /// (`config.a.b#key`). Bounded: the reader already refused files beyond `YAMLLimits`.
    private static func recordLocations(
        _ node: Node, path: String, _ reader: YAMLReader, into locations: inout [String: SourceLocation]
    ) {
        locations[path] = reader.location(node)
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard let name = key.scalar?.string else { continue }
                locations["\(path).\(name)#key"] = reader.location(key)
                recordLocations(value, path: "\(path).\(name)", reader, into: &locations)
            }
        case .sequence(let sequence):
            for (index, item) in sequence.enumerated() {
                recordLocations(item, path: "\(path)[\(index)]", reader, into: &locations)
            }
        default:
            break
        }
    }
}
