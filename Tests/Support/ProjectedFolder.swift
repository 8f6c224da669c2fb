import Foundation

/// The kubelet's projection of a ConfigMap (its atomic writer): the files live in `..TIMESTAMP/`, `..data` links to
/// that folder, and each file's name is a link through `..data`; an update writes a new timestamped folder and
/// renames a new `..data` link over the old one, so the names never change.
public struct ProjectedFolder {
    public let path: String
    public private(set) var current: String?
    private var generation = 0

    public init(_ path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o755)
    }

    /// Projects `files` (name → text) as the kubelet does: the new folder, the `..data` swap, then the old folder
    /// removed; a name no longer projected loses its link.
    public mutating func project(_ files: [String: String]) throws {
        let fm = FileManager.default
        generation += 1
        let stamp = "..2026_01_01_00_00_\(String(format: "%02d", generation)).\(UInt32.random(in: 0..<UInt32.max))"
        try fm.createDirectory(atPath: "\(path)/\(stamp)", withIntermediateDirectories: false)
        chmod("\(path)/\(stamp)", 0o755)
        for (name, text) in files {
            try text.write(toFile: "\(path)/\(stamp)/\(name)", atomically: false, encoding: .utf8)
            chmod("\(path)/\(stamp)/\(name)", 0o644)
        }
        try fm.createSymbolicLink(atPath: "\(path)/..data_tmp", withDestinationPath: stamp)
        guard rename("\(path)/..data_tmp", "\(path)/..data") == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: ["errno": errno])
        }
        let names = try fm.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix("..") }
        for name in names where files[name] == nil { try fm.removeItem(atPath: "\(path)/\(name)") }
        for name in files.keys where !names.contains(name) {
            try fm.createSymbolicLink(atPath: "\(path)/\(name)", withDestinationPath: "..data/\(name)")
        }
        if let current { try fm.removeItem(atPath: "\(path)/\(current)") }
        current = stamp
    }
}
