import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Finds plugin libraries on a search path and loads each file once. Thread-safe.
///
/// Before a file is opened it must pass ``TrustedFile``'s check (a regular file owned by the effective user or root,
/// writable by nobody else, in folders as safe): loading a plugin runs its code with the host's privileges.
package final class PluginLoader: Sendable {
    package let searchPath: [String]
    private let state = Mutex(State())

    private struct State {
        var byPath: [String: Result<PluginLibrary, PluginLoadError>] = [:]
        var pathByID: [String: String] = [:]
    }

    package init(searchPath: [String]) { self.searchPath = searchPath }

    /// `extra` (from `--plugin-path`, in order), then the folder of the running executable, then the system folder.
    package static func defaultSearchPath(extra: [String]) -> [String] {
        var path = extra
        if let exe = executableDirectory() { path.append(exe) }
        path.append("/usr/local/lib/herald/plugins")
        path.append("/usr/lib/herald/plugins")
        return path
    }

    static func executableDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }

    /// Turns a plugins.d `library` value into a file path. A value with a `/` is a path (relative to `baseDirectory`,
    /// the plugins.d folder); a bare name `x` is looked up as `libx.so`, `x.so` and `x` in each search folder.
    package func resolve(_ library: String, baseDirectory: String?) throws(PluginLoadError) -> String {
        if library.contains("/") {
            let path = library.hasPrefix("/") || baseDirectory == nil ? library : "\(baseDirectory!)/\(library)"
            guard access(path, F_OK) == 0 else { throw .notFound(library: library, searched: [path]) }
            return path
        }
        var tried: [String] = []
        let names = library.hasSuffix(".so") ? [library] : ["lib\(library).so", "\(library).so", library]
        for folder in searchPath {
            for name in names {
                let candidate = "\(folder)/\(name)"
                tried.append(candidate)
                var st = stat()
                if stat(candidate, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG { return candidate }
            }
        }
        throw .notFound(library: library, searched: searchPath)
    }

    /// Loads a library once; later calls return the same library (or the same error).
    package func load(path: String) throws(PluginLoadError) -> PluginLibrary {
        let canonical = Self.canonical(path)
        let cached = state.withLock { $0.byPath[canonical] }
        if let cached { return try cached.get() }
        let result: Result<PluginLibrary, PluginLoadError>
        do throws(PluginLoadError) {
            try Self.checkFile(canonical)
            result = .success(try PluginLibrary(path: canonical))
        } catch {
            result = .failure(error)
        }
        return try state.withLock { state throws(PluginLoadError) -> PluginLibrary in
            if let raced = state.byPath[canonical] { return try raced.get() }
            var final = result
            if case .success(let library) = result, let first = state.pathByID[library.info.id], first != canonical {
                final = .failure(.duplicateID(path: canonical, id: library.info.id, firstPath: first))
            } else if case .success(let library) = result {
                state.pathByID[library.info.id] = canonical
            }
            state.byPath[canonical] = final
            return try final.get()
        }
    }

    /// The library must be trusted like Herald itself: ``TrustedFile``'s rule, the file and every folder above it.
    package static func checkFile(_ path: String) throws(PluginLoadError) {
        var st = stat()
        guard stat(path, &st) == 0 else { throw .notFound(library: path, searched: [path]) }
        guard let problem = TrustedFile.check(st, path: path) else { return }
        switch problem {
        case .folderMissing(let directory): throw .notFound(library: path, searched: [directory])
        case .notRegularFile: throw .notRegularFile(path: path)
        case .wrongOwner(let owner, let expected): throw .wrongOwner(path: path, owner: owner, expected: expected)
        case .writable(let mode): throw .insecurePermissions(path: path, mode: mode)
        case .wrongDirectoryOwner(let directory, let owner, let expected):
            throw .wrongDirectoryOwner(path: path, directory: directory, owner: owner, expected: expected)
        case .writableDirectory(let directory, let mode):
            throw .insecureDirectory(path: path, directory: directory, mode: mode)
        }
    }

    package static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
