import Foundation
import HeraldConfig
import HeraldConfigModel
import Logging

/// The YAML files of a manifest directory (`*.yaml`, `*.yml`, not hidden), read in lexical order, and whether any
/// changed since the last read. A file that does not parse keeps the objects it held at its last good read.
package struct ManifestDirectory: Sendable {
    package let path: String
    private var fingerprint: [String: Stamp] = [:]
    private var lastGood: [String: Manifests] = [:]

    struct Stamp: Equatable {
        var size: UInt64
        var modified: Date
    }

    package init(path: String) { self.path = path }

    /// The manifest files, sorted.
    package func files() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { !$0.hasPrefix(".") && ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) }.sorted()
            .map { path + "/" + $0 }
    }

    private func stamps() -> [String: Stamp] {
        var result: [String: Stamp] = [:]
        for file in files() {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: file) else { continue }
            result[file] = Stamp(
                size: (attributes[.size] as? NSNumber)?.uint64Value ?? 0,
                modified: attributes[.modificationDate] as? Date ?? .distantPast)
        }
        return result
    }

    /// Whether a file was added, removed or changed since the last ``read(logger:)``.
    package func changed() -> Bool { stamps() != fingerprint }

    /// Reads every file; problems are logged (and returned) with their places.
    package mutating func read(logger: Logger?) -> Manifests {
        read { diagnostic in logger?.error("\(diagnostic)") }
    }

    /// Reads every file, handing each problem to `report`.
    package mutating func read(report: (Diagnostic) -> Void) -> Manifests {
        fingerprint = stamps()
        var all = Manifests()
        var good: [String: Manifests] = [:]
        for file in files() {
            let parsed: Result<Manifests, ConfigErrors>
            if let data = FileManager.default.contents(atPath: file) {
                parsed = Manifests.parse(String(decoding: data, as: UTF8.self), file: file)
            } else {
                parsed = .failure(
                    ConfigErrors([Diagnostic(.init(file: file, line: 1, column: 1), "cannot read the file")]))
            }
            switch parsed {
            case .success(let manifests):
                good[file] = manifests
            case .failure(let errors):
                errors.diagnostics.forEach(report)
                if let previous = lastGood[file] { good[file] = previous }
            }
            if let manifests = good[file] { all.append(manifests) }
        }
        lastGood = good
        return all
    }
}
