import HeraldConfig
import HeraldConfigModel
import HeraldPluginHost

#if canImport(Glibc)
    import Glibc
#endif

/// Reading a `plugins.d` folder and configuration files from disk.
extension PluginDirectory {
    package enum ReadError: Error, CustomStringConvertible {
        case cannotOpen(path: String, reason: String)
        package var description: String {
            switch self {
            case .cannotOpen(let path, let reason): "\(path): cannot read the plugins.d folder: \(reason)"
            }
        }
    }

    /// Why a folder could not be read, without its path (for messages that already name it).
    package static func reason(_ error: any Error) -> String {
        if case .cannotOpen(_, let reason) = error as? ReadError { return reason }
        return "\(error)"
    }

    package static func read(_ directory: String) throws -> [Entry] {
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
            case .success(let text): return Entry(file: path, text: text)
            case .failure(let diagnostic): return Entry(file: path, spec: .failure(ConfigErrors([diagnostic])))
            }
        }
    }

    /// Reads a whole text file (herald.yaml or a plugins.d file), or a diagnostic naming it. The file must pass
    /// ``TrustedFile``'s check, as a plugin library must: it chooses what runs with Herald's privileges.
    package static func readText(_ path: String) -> Result<String, Diagnostic> {
        var st = stat()
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
            let what = (st.st_mode & S_IFMT) == S_IFDIR ? "a directory" : "not a regular file"
            return .failure(
                Diagnostic(
                    SourceLocation(file: path, line: 1, column: 1), "this is \(what), not a YAML file",
                    hint: "remove it or rename it so that it does not end in .yaml or .yml"))
        }
        guard let file = fopen(path, "rb") else {
            return .failure(
                Diagnostic(
                    SourceLocation(file: path, line: 1, column: 1), "cannot read: \(String(cString: strerror(errno)))"))
        }
        defer { fclose(file) }
        // The file opened is the file checked: its status comes from the open descriptor.
        if fstat(fileno(file), &st) == 0, let problem = TrustedFile.check(st, path: path) {
            let (message, hint) = TrustedFile.configMessage(problem)
            return .failure(Diagnostic(SourceLocation(file: path, line: 1, column: 1), message, hint: hint))
        }
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
            let offset = TextPosition.firstInvalidUTF8(bytes) ?? 0
            let (line, column) = TextPosition.of(byte: offset, in: bytes)
            return .failure(
                Diagnostic(
                    SourceLocation(file: path, line: line, column: column),
                    "byte 0x\(String(bytes[offset], radix: 16)) is not valid UTF-8: the file must be UTF-8 text"))
        }
        return .success(text)
    }
}
