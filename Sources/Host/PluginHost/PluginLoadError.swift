/// Why a plugin library was refused. The description is what `herald plugins` and the logs print: it names the file
/// and says what to do.
public enum PluginLoadError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(library: String, searched: [String])
    case notRegularFile(path: String)
    case insecurePermissions(path: String, mode: UInt32)
    case wrongOwner(path: String, owner: UInt32, expected: UInt32)
    case notELF(path: String)
    case dlopenFailed(path: String, message: String)
    case missingEntry(path: String)
    case entryRefused(path: String)
    case abiMajorMismatch(path: String, plugin: Int, host: Int)
    case structTooSmall(path: String, structure: String, size: Int, minimum: Int)
    case invalidDescriptor(path: String, problem: String)
    case duplicateID(path: String, id: String, firstPath: String)

    public var description: String {
        switch self {
        case .notFound(let library, let searched):
            "plugin library \"\(library)\" not found (searched: \(searched.joined(separator: ", ")))"
        case .notRegularFile(let path):
            "\(path): not a regular file"
        case .insecurePermissions(let path, let mode):
            "\(path): refused: the file is group- or world-writable (mode \(String(mode & 0o7777, radix: 8))); "
                + "run chmod go-w on it"
        case .wrongOwner(let path, let owner, let expected):
            "\(path): refused: owned by uid \(owner), not by uid \(expected) or root; run chown on it"
        case .notELF(let path):
            "\(path): not an ELF shared object"
        case .dlopenFailed(let path, let message):
            "\(path): cannot be loaded: \(message)"
        case .missingEntry(let path):
            "\(path): no herald_plugin_entry_v1 symbol: not a Herald plugin, or built for another ABI major"
        case .entryRefused(let path):
            "\(path): herald_plugin_entry_v1 returned NULL: the plugin refused this host (ABI 1.x)"
        case .abiMajorMismatch(let path, let plugin, let host):
            "\(path): built for plugin ABI \(plugin).x, this host speaks \(host).x; rebuild the plugin"
        case .structTooSmall(let path, let structure, let size, let minimum):
            "\(path): \(structure) is \(size) bytes, ABI 1 needs at least \(minimum); the plugin is corrupt"
        case .invalidDescriptor(let path, let problem):
            "\(path): invalid descriptor: \(problem)"
        case .duplicateID(let path, let id, let firstPath):
            "\(path): refused: plugin id \"\(id)\" is already provided by \(firstPath)"
        }
    }
}
