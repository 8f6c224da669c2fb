/// Why a plugin library was refused. The description is what `herald plugins` and the logs print: it names the file
/// and says what to do.
package enum PluginLoadError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(library: String, searched: [String])
    case notRegularFile(path: String)
    case insecurePermissions(path: String, mode: UInt32)
    case wrongOwner(path: String, owner: UInt32, expected: UInt32)
    /// A folder above the library may be written by others (`directory` is the first such folder from the file up).
    case insecureDirectory(path: String, directory: String, mode: UInt32)
    case wrongDirectoryOwner(path: String, directory: String, owner: UInt32, expected: UInt32)
    case notELF(path: String)
    case dlopenFailed(path: String, message: String)
    case missingEntry(path: String)
    /// The library defines the entry but does not export it (hidden visibility or a version script).
    case hiddenEntry(path: String)
    case entryRefused(path: String)
    case abiMajorMismatch(path: String, plugin: Int, host: Int)
    case structTooSmall(path: String, structure: String, size: Int, minimum: Int)
    case invalidDescriptor(path: String, problem: String)
    case duplicateID(path: String, id: String, firstPath: String)

    package var description: String {
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
        case .insecureDirectory(let path, let directory, let mode):
            "\(path): refused: the folder \(directory) is group- or world-writable (mode "
                + "\(String(mode & 0o7777, radix: 8))) and not a sticky folder owned by root, so others could replace "
                + "the library; run chmod go-w on it"
        case .wrongDirectoryOwner(let path, let directory, let owner, let expected):
            "\(path): refused: the folder \(directory) is owned by uid \(owner), not by uid \(expected) or root, so "
                + "its owner could replace the library; run chown on it"
        case .missingEntry(let path):
            "\(path): no exported herald_plugin_entry_v1 symbol: not a Herald plugin, built for another ABI major, or "
                + "its entry is not exported (mark it HERALD_PLUGIN_EXPORT, as herald_plugin.h declares it, and name it "
                + "in any version script)"
        case .hiddenEntry(let path):
            "\(path): herald_plugin_entry_v1 is defined but not exported: the library hides it, by hidden visibility "
                + "(-fvisibility=hidden without HERALD_PLUGIN_EXPORT from herald_plugin.h on the entry) or by a version "
                + "script or export list that does not name it; `nm -D` on the library must list it"
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
