import HeraldConfigModel

/// A reading of plugins.d turned into what should run: the enabled instances with their library files, and the
/// problems of the files that cannot be used. Pure apart from resolving library names on the search path.
struct PluginSetPlan {
    struct Wanted {
        var file: String
        var spec: PluginInstanceSpec
        var libraryPath: String
    }

    var wanted: [Wanted] = []
    var problems: [PluginSet.Problem] = []
    var switchedOff: [PluginInstanceSpec] = []
    /// Running instances whose new entry is unusable: they are kept as they are.
    var keep: Set<String> = []

    init(entries: [PluginDirectory.Entry], directory: String?, loader: PluginLoader, current: [PluginSet.Member]) {
        var files: [String: String] = [:]
        for entry in entries {
            let spec: PluginInstanceSpec
            switch entry.spec {
            case .failure(let errors):
                problems += errors.diagnostics.map {
                    PluginSet.Problem(file: entry.file, instance: nil, message: "\($0)")
                }
                for member in current where member.spec.file == entry.file || member.spec.name == entry.declaredName {
                    keep.insert(member.spec.name)
                }
                continue
            case .success(let s): spec = s
            }
            guard spec.enabled else {
                switchedOff.append(spec)
                continue
            }
            if let first = files[spec.name] {
                problems.append(
                    PluginSet.Problem(
                        file: entry.file, instance: spec.name,
                        message: "refused: the instance name is already used by \(first)",
                        location: spec.location(of: "name")))
                continue
            }
            files[spec.name] = entry.file
            do {
                let path = PluginLoader.canonical(try loader.resolve(spec.library, baseDirectory: directory))
                wanted.append(Wanted(file: entry.file, spec: spec, libraryPath: path))
            } catch {
                problems.append(
                    PluginSet.Problem(
                        file: entry.file, instance: spec.name, message: "\(error)",
                        location: spec.location(of: "library")
                    ))
                if current.contains(where: { $0.spec.name == spec.name }) { keep.insert(spec.name) }
            }
        }
    }
}
