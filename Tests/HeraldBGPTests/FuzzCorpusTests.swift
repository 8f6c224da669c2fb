import Foundation
import HeraldBGP
import Testing

/// Replays every file of Tests/FuzzCorpus/bgp (seeds, and any input scripts/fuzz-bgp found crashing) through the
/// framer and decoder as the fuzz target does: none may trap, and what decodes must encode and decode again.
struct FuzzCorpusTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzCorpus/bgp")

    @Test func everyFuzzCorpusFileDecodesWithoutTrapping() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).sorted()
        #expect(names.count >= 7, "corpus missing at \(Self.directory.path)")
        var decoded = 0
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(name)))
            let options = BGPCodecOptions(
                fourOctetAS: (bytes.first ?? 0) & 1 == 0,
                maxMessageLength: (bytes.first ?? 0) & 2 == 0 ? 4096 : 65535)
            var framer = BGPFramer(maxMessageLength: options.maxMessageLength)
            framer.append(bytes.dropFirst())
            while let frame = try? framer.next() {
                guard let message = try? BGPMessage.decode(frame, options) else { continue }
                decoded += 1
                var again = BGPFramer(maxMessageLength: 65535)
                again.append(message.encoded(options))
                let back = try #require(try again.next())
                #expect((try? BGPMessage.decode(back, options)) != nil, "\(name)")
            }
        }
        // The seeds hold nine valid messages captured from BIRD and GoBGP.
        #expect(decoded >= 9)
    }
}
