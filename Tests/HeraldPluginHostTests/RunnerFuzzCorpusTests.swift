import Foundation
import Testing

@testable import HeraldPluginHost

/// Replays every file of Tests/FuzzCorpus/runner (seeds, and any input scripts/fuzz-runner found crashing) through the
/// frame splitter and decoder as the fuzz target does: the first byte sets the size of the pieces the stream arrives
/// in, nothing may trap, and every frame that decodes encodes to the same bytes.
struct RunnerFuzzCorpusTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzCorpus/runner")

    @Test func everyRunnerFuzzCorpusFileDecodesWithoutTrapping() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).sorted()
        #expect(names.count >= 3, "corpus missing at \(Self.directory.path)")
        var decoded = 0
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(name)))
            let piece = Int(bytes.first ?? 0) % 64 + 1
            var splitter = RunnerWire.FrameSplitter()
            var index = 1
            reading: while index < bytes.count {
                let end = min(bytes.count, index + piece)
                splitter.append(bytes[index..<end])
                index = end
                while true {
                    // No whole frame yet: wait for the next piece; a malformed length ends the stream.
                    let next: ArraySlice<UInt8>?
                    do { next = try splitter.next() } catch { break reading }
                    guard let body = next else { break }
                    guard let message = try? RunnerWire.decode(body) else { continue }
                    decoded += 1
                    let frame = RunnerWire.frame(message)
                    #expect(Array(frame.dropFirst(4)) == Array(body), "\(name)")
                    #expect((try? RunnerWire.decode(frame[4...])) == message, "\(name)")
                }
            }
        }
        // The seeds are a handshake, calls and replies: each holds frames that decode.
        #expect(decoded >= 3)
    }
}
