import HeraldConfigModel
import HeraldCore
import Yams

/// Reading a plugins.d file into a ``PluginInstanceSpec`` (the value lives in the configuration model, so that the
/// plugin host needs no YAML reader).
extension PluginInstanceSpec {
    /// The instance name a file declares, even when the file is otherwise invalid (nil when it declares none).
    public static func declaredName(_ text: String) -> String? {
        var reader = YAMLReader(file: "")
        guard let root = reader.parse(text), let name = root.mapping?["name"]?.scalar?.string, !name.isEmpty else {
            return nil
        }
        return name
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
