import Yams

/// One `plugins.d/*.yaml` file: a plugin instance the host should run.
///
/// ```yaml
/// name: l2            # instance name, referenced by advertisements
/// library: herald-arp # a name searched on the plugin path, or a path
/// enabled: true       # default true
/// config: {…}         # handed to the plugin as JSON
/// ```
public struct PluginInstanceSpec: Sendable, Equatable {
    public static let kind = "PluginInstance"

    public var name: String
    public var library: String
    public var enabled: Bool
    /// The `config` mapping as JSON object text (`{}` when absent).
    public var configJSON: String
    /// Where it was read from, for messages.
    public var file: String

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
        let known = ["apiVersion", "kind", "name", "library", "enabled", "config"]
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
        return .success(
            PluginInstanceSpec(name: name, library: library, enabled: enabled, configJSON: configJSON, file: file))
    }
}
