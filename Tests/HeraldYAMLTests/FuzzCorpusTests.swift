import Foundation
import Testing

@testable import HeraldYAML

/// Replays every file of Tests/FuzzCorpus/yaml (seeds, and any input scripts/fuzz-yaml found crashing) through the
/// parser as the fuzz target does: nothing may trap, and the events are well nested.
struct FuzzCorpusTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzCorpus/yaml")

    @Test func everyYAMLFuzzCorpusFileParsesWellNested() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).sorted()
        #expect(names.count >= 3, "corpus missing at \(Self.directory.path)")
        var parsed = 0
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(name)))
            var parser = YAMLParser(bytes: bytes)
            var depth = 0
            var last = 0
            var ended = false
            do {
                while let event = try parser.next() {
                    #expect(event.start.offset >= last, "\(name): a mark went back at \(event)")
                    last = event.start.offset
                    switch event.kind {
                    case .streamStart, .documentStart, .sequenceStart, .mappingStart: depth += 1
                    case .streamEnd, .documentEnd, .sequenceEnd, .mappingEnd: depth -= 1
                    case .scalar, .alias: break
                    }
                    #expect(depth >= 0, "\(name)")
                    if case .streamEnd = event.kind { ended = true }
                }
                #expect(ended && depth == 0, "\(name)")
                parsed += 1
            } catch {}
        }
        // The seeds include valid documents.
        #expect(parsed >= 2)
    }
}
