import ArgumentParser
import HeraldConfig
import HeraldPluginHost

#if canImport(Glibc)
    import Glibc
#endif

struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List plugin libraries on the search path and in plugins.d, with what they are or why refused.")

    @OptionGroup var options: CommonOptions

    func run() throws {
        let env = try Environment.resolve(options: options)
        // Which instances use which library file.
        var instancesByPath: [String: [String]] = [:]
        var unresolved: [String] = []
        for entry in env.pluginEntries {
            switch entry.spec {
            case .failure(let errors):
                unresolved += errors.diagnostics.map(\.description)
            case .success(let spec):
                do {
                    let path = PluginLoader.canonical(
                        try env.loader.resolve(spec.library, baseDirectory: env.pluginsDirectory))
                    instancesByPath[path, default: []].append(spec.enabled ? spec.name : "\(spec.name) (disabled)")
                } catch {
                    unresolved.append("\(entry.file): instance \"\(spec.name)\": \(error)")
                }
            }
        }
        var paths = Set(instancesByPath.keys)
        for folder in env.loader.searchPath { paths.formUnion(Self.candidates(in: folder)) }

        print("search path: \(env.loader.searchPath.joined(separator: ":"))")
        for path in paths.sorted() {
            let instances = instancesByPath[path] ?? []
            do {
                let library = try env.loader.load(path: path)
                let i = library.info
                print("\(path)")
                print("  id:        \(i.id)")
                print("  name:      \(i.name) \(i.version)")
                print("  abi:       \(i.abiMajor).\(i.abiMinor)")
                print("  kind:      \(i.kind.rawValue)")
                print("  protocols: \(i.protocols.joined(separator: ", "))")
                print("  instances: \(instances.isEmpty ? "-" : instances.joined(separator: ", "))")
            } catch {
                print("\(path)")
                print("  refused:   \(error)")
                if !instances.isEmpty { print("  instances: \(instances.joined(separator: ", "))") }
            }
        }
        for problem in unresolved { print("problem: \(problem)") }
    }

    /// Files in a search folder that look like Herald plugins (`libherald-*.so`, `herald-*.so`).
    static func candidates(in folder: String) -> [String] {
        guard let dir = opendir(folder) else { return [] }
        defer { closedir(dir) }
        var result: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if (name.hasPrefix("libherald-") || name.hasPrefix("herald-")) && name.hasSuffix(".so") {
                result.append(PluginLoader.canonical("\(folder)/\(name)"))
            }
        }
        return result
    }
}
