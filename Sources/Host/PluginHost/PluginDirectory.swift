import HeraldConfig

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a `plugins.d` folder: every `*.yaml` / `*.yml` file, in lexical order of file name.
public enum PluginDirectory {
    public struct Entry: Sendable {
        public var file: String
        public var spec: Result<PluginInstanceSpec, ConfigErrors>

        public init(file: String, spec: Result<PluginInstanceSpec, ConfigErrors>) {
            self.file = file
            self.spec = spec
        }
    }

    public enum ReadError: Error, CustomStringConvertible {
        case cannotOpen(path: String, reason: String)
        public var description: String {
            switch self {
            case .cannotOpen(let path, let reason): "\(path): cannot read the plugins.d folder: \(reason)"
            }
        }
    }

    public static func read(_ directory: String) throws -> [Entry] {
        guard let dir = opendir(directory) else {
            throw ReadError.cannotOpen(path: directory, reason: String(cString: strerror(errno)))
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if !name.hasPrefix("."), name.hasSuffix(".yaml") || name.hasSuffix(".yml") { names.append(name) }
        }
        return names.sorted().map { name in
            let path = directory.hasSuffix("/") ? directory + name : "\(directory)/\(name)"
            switch readText(path) {
            case .success(let text): return Entry(file: path, spec: PluginInstanceSpec.parse(text, file: path))
            case .failure(let diagnostic): return Entry(file: path, spec: .failure(ConfigErrors([diagnostic])))
            }
        }
    }

    /// Reads a whole text file, or a diagnostic naming it.
    public static func readText(_ path: String) -> Result<String, Diagnostic> {
        guard let file = fopen(path, "rb") else {
            return .failure(
                Diagnostic(
                    SourceLocation(file: path, line: 1, column: 1), "cannot read: \(String(cString: strerror(errno)))"))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n > 0 { bytes += chunk[0..<n] }
            if n < chunk.count { break }
            if bytes.count > 16 << 20 {
                return .failure(
                    Diagnostic(SourceLocation(file: path, line: 1, column: 1), "file is larger than 16 MiB"))
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(Diagnostic(SourceLocation(file: path, line: 1, column: 1), "file is not UTF-8 text"))
        }
        return .success(text)
    }
}
