import ArgumentParser
import HeraldConfig
import HeraldConfigModel
import HeraldPluginHost

#if canImport(Glibc)
    import Glibc
#endif

struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List plugin libraries on the search path and in plugins.d, with what they are or why refused.")

    @OptionGroup var options: CommonOptions

    func run() throws {
        // The same inputs as check: an unreadable herald.yaml (which this command does not need) stops nothing.
        let env = CheckInputs(options: options)
        var unresolved = env.pluginsProblems.map(\.description)
        // Libraries load in the order `herald run` loads them, so that of two libraries with one plugin id the same
        // one is refused: the enabled plugins.d instances in file order (a repeated instance name is skipped, as run
        // skips it), then the disabled ones, then the other plugin files on the search path.
        var instancesByPath: [String: [String]] = [:]
        var order: [String] = []
        var names = Set<String>()
        let enabledFirst =
            env.entries.filter { (try? $0.spec.get())?.enabled ?? true }
            + env.entries.filter { (try? $0.spec.get())?.enabled == false }
        for entry in enabledFirst {
            switch entry.spec {
            case .failure(let errors):
                unresolved += errors.diagnostics.map(\.description)
            case .success(let spec):
                if spec.enabled && !names.insert(spec.name).inserted { continue }
                do {
                    let path = PluginLoader.canonical(
                        try env.loader.resolve(spec.library, baseDirectory: env.pluginsDirectory))
                    if instancesByPath[path] == nil { order.append(path) }
                    instancesByPath[path, default: []].append(spec.enabled ? spec.name : "\(spec.name) (disabled)")
                } catch {
                    unresolved.append(
                        "\(spec.location(of: "library")): error: instance \"\(spec.name)\": \(error)")
                }
            }
        }
        var others = Set<String>()
        for folder in env.loader.searchPath { others.formUnion(Self.candidates(in: folder)) }
        order += others.subtracting(order).sorted()

        print("search path: \(env.loader.searchPath.joined(separator: ":"))")
        var refused = 0
        for path in order {
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
                refused += 1
                print("\(path)")
                print("  refused:   \(error)")
                if !instances.isEmpty { print("  instances: \(instances.joined(separator: ", "))") }
            }
        }
        for problem in unresolved { print("problem: \(problem)") }
        if refused + unresolved.count > 0 {
            printError("\(refused) librar\(refused == 1 ? "y" : "ies") refused, \(unresolved.count) other problem(s)")
            throw ExitCode(1)
        }
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
