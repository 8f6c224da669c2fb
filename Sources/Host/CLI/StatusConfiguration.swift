import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldKube
import HeraldKubeModels
import HeraldPluginHost

/// The configuration `herald status` computes announcers from, on a cluster: the local herald.yaml and plugins.d
/// when there is a herald.yaml here (`--config`, or /etc/herald/herald.yaml), else the ConfigMaps Herald is deployed
/// with. Every problem is kept (`file:line:column: error: …`, as `herald check` prints them); an unusable
/// configuration leaves ``config`` nil and the rest of the status is still printed.
struct StatusConfiguration {
    /// The parsed configuration; nil when there is none or it is invalid.
    var config: HeraldConfiguration?
    var entries: [PluginDirectory.Entry] = []
    /// Where herald.yaml and plugins.d were read, for a note.
    var origin: String?
    /// Every problem, as `file:line:column: error: …`.
    var problems: [String] = []
    /// Libraries may be loaded to learn an instance's kind (a local configuration only: a library named by the
    /// cluster's ConfigMap is never opened on this machine).
    var loader: PluginLoader?
    var pluginsDirectory: String?

    /// The ConfigMap names of deploy/kustomization.yaml's configMapGenerator.
    static let configMapName = "herald-config"
    static let pluginsMapName = "herald-plugins"
    static let configKey = "herald.yaml"

    /// Whether a herald.yaml is at hand here: given with `--config`, or installed.
    static func hasLocal(_ options: CommonOptions) -> Bool {
        options.config != nil || Defaults.configPaths.contains(where: Environment.exists)
    }

    /// The local herald.yaml and plugins.d, read as `herald check` reads them.
    static func local(_ options: CommonOptions) -> StatusConfiguration {
        let inputs = CheckInputs(options: options)
        var result = StatusConfiguration(
            origin: inputs.configName + (inputs.pluginsDirectory.map { ", \($0)" } ?? ""), loader: inputs.loader,
            pluginsDirectory: inputs.pluginsDirectory)
        result.problems += inputs.configProblems.map(\.description)
        result.problems += inputs.pluginsProblems.map(\.description)
        result.entries = inputs.entries
        if let text = inputs.configText { result.parse(text, file: inputs.configName) }
        return result
    }

    /// herald.yaml and the plugins.d files of the ConfigMaps in `namespace`: `herald-config` (key herald.yaml) and
    /// `herald-plugins` (one key per file), by name or with the hash suffix kustomize's generator gives them (the
    /// newest when several are left from earlier versions). Nil when there is no `herald-config`.
    static func cluster(_ client: KubeClient, namespace: String) async -> (StatusConfiguration?, note: String?) {
        let maps: [ConfigMap]
        do {
            maps = try await client.listAll(ConfigMap.self, namespace: namespace).items
        } catch {
            return (nil, "note: cannot read the ConfigMaps of \(namespace): \(error)")
        }
        guard let configMap = newest(named: configMapName, in: maps) else {
            return (
                nil,
                "note: no herald.yaml here and no ConfigMap \(configMapName) in \(namespace): announcers are the "
                    + "cluster's records only"
            )
        }
        let configFolder = "\(namespace)/\(configMap.metadata.name ?? configMapName)"
        var result = StatusConfiguration(origin: "ConfigMap \(configFolder)")
        if let pluginsMap = newest(named: pluginsMapName, in: maps) {
            let folder = "\(namespace)/\(pluginsMap.metadata.name ?? pluginsMapName)"
            result.origin! += ", ConfigMap \(folder)"
            result.entries = (pluginsMap.data ?? [:]).keys.sorted()
                .filter { !$0.hasPrefix(".") && ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) }
                .map { key in PluginDirectory.Entry(file: "\(folder)/\(key)", text: pluginsMap.data?[key] ?? "") }
        }
        let file = "\(configFolder)/\(configKey)"
        guard let text = configMap.data?[configKey] else {
            result.problems.append(
                Diagnostic(SourceLocation(file: file, line: 1, column: 1), "the ConfigMap has no key \(configKey)")
                    .description)
            return (result, nil)
        }
        result.parse(text, file: file)
        return (result, nil)
    }

    /// Parses herald.yaml against the plugins.d entries; invalid plugins.d files are problems too.
    mutating func parse(_ text: String, file: String) {
        for entry in entries {
            if case .failure(let errors) = entry.spec { problems += errors.diagnostics.map(\.description) }
        }
        switch ConfigParser.parse(text, file: file, plugins: PluginDirectory.index(entries)) {
        case .success(let parsed): config = parsed
        case .failure(let errors): problems += errors.diagnostics.map(\.description)
        }
    }

    /// The ConfigMap called `base`, or `base-SUFFIX` (a generator's hash suffix); the newest of them.
    static func newest(named base: String, in maps: [ConfigMap]) -> ConfigMap? {
        let candidates = maps.filter { map in
            guard let name = map.metadata.name else { return false }
            if name == base { return true }
            guard name.hasPrefix(base + "-") else { return false }
            let suffix = name.dropFirst(base.count + 1)
            return (1...16).contains(suffix.count)
                && suffix.allSatisfy { ($0.isLetter && $0.isLowercase) || $0.isNumber }
        }
        func created(_ map: ConfigMap) -> Date {
            map.metadata.creationTimestamp.flatMap(MicroTime.init(string:))?.date ?? .distantPast
        }
        return candidates.max { a, b in
            created(a) != created(b) ? created(a) < created(b) : (a.metadata.name ?? "") < (b.metadata.name ?? "")
        }
    }

    /// The kind of each enabled instance: exclusive (true) or not (false); absent when unknown. A local library is
    /// loaded when it can be; otherwise the bundled plugins are known by their library name.
    func kinds() -> [String: Bool] {
        var kinds: [String: Bool] = [:]
        for entry in entries {
            guard case .success(let spec) = entry.spec, spec.enabled else { continue }
            if let loader, let path = try? loader.resolve(spec.library, baseDirectory: pluginsDirectory),
                let library = try? loader.load(path: path)
            {
                kinds[spec.name] = library.info.kind == .exclusive
            } else if let exclusive = Self.bundledKind(library: spec.library) {
                kinds[spec.name] = exclusive
            }
        }
        return kinds
    }

    /// The bundled plugins by library name (`herald-arp`, `libherald-arp.so`, a path ending in either): whether
    /// each is exclusive.
    static let bundled: [String: Bool] = [
        "herald-arp": true, "herald-ndp": true, "herald-bgp": false, "herald-log": false, "herald-exec": false,
    ]

    static func bundledKind(library: String) -> Bool? {
        var name = Substring(library.split(separator: "/").last ?? "")
        if name.hasSuffix(".so") { name = name.dropLast(3) }
        if name.hasPrefix("lib") { name = name.dropFirst(3) }
        return bundled[String(name)]
    }
}
