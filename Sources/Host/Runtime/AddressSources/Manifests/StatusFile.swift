import Foundation
import HeraldAllocation
import HeraldCore
import HeraldIPAM

/// What the allocator gave each Service of a manifest directory, kept in the directory (`herald-status.json`) where
/// a user reads it, and read back at start so that every Service keeps its addresses across restarts.
package struct StatusFile: Codable, Sendable, Equatable {
    package static let name = "herald-status.json"

    /// One Service.
    package struct Entry: Codable, Sendable, Equatable {
        package var service: String
        package var addresses: [String]
        package var pool: String?
        /// Why the Service has no address, when it has none.
        package var error: String?

        package init(service: String, addresses: [String], pool: String?, error: String?) {
            self.service = service
            self.addresses = addresses
            self.pool = pool
            self.error = error
        }
    }

    package var services: [Entry] = []

    package init(services: [Entry] = []) { self.services = services }

    /// The record of `state`: every Service Herald serves, sorted.
    package init(_ state: AllocationState) {
        let ids = Set(state.allocator.services).union(state.invalid.keys).sorted()
        services = ids.map { id in
            let assignment = state.allocator.assignment(for: id)
            let error = state.invalid[id] ?? state.allocator.pending[id]?.detail
            return Entry(
                service: id.description, addresses: assignment?.addresses.map(\.description) ?? [],
                pool: assignment?.pool, error: assignment == nil ? error : nil)
        }
    }

    /// The addresses recorded for each Service.
    package var addresses: [String: [IPAddress]] {
        Dictionary(
            services.map { ($0.service, $0.addresses.compactMap { IPAddress($0) }) }, uniquingKeysWith: { a, _ in a })
    }

    /// Reads the file of `directory`; an empty record when there is none or it cannot be read.
    package static func read(directory: String) -> StatusFile {
        guard let data = FileManager.default.contents(atPath: directory + "/" + name),
            let file = try? JSONDecoder().decode(StatusFile.self, from: data)
        else { return StatusFile() }
        return file
    }

    /// Writes the file of `directory` atomically (a temporary file renamed over it).
    package func write(directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        try data.write(to: URL(fileURLWithPath: directory + "/" + Self.name), options: .atomic)
    }

    /// A table for `herald status`: service, addresses, pool, and the reason of a failure.
    package var table: String {
        let rows =
            [["SERVICE", "ADDRESSES", "POOL", "STATUS"]]
            + services.map { entry in
                [
                    entry.service, entry.addresses.isEmpty ? "<pending>" : entry.addresses.joined(separator: ","),
                    entry.pool ?? "-", entry.error.map { "failed: \($0)" } ?? "assigned",
                ]
            }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, text in
                column == 3 ? text : text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
