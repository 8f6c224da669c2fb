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

/// Replays every file of Tests/FuzzCorpus/bfd (seeds, and any input scripts/fuzz-bfd found crashing) as the fuzz
/// target does: datagrams cut at each 0xFF 0xFE marker go to the decoder and to a session, 10 ms apart.
struct BFDFuzzCorpusTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzCorpus/bfd")

    @Test func everyBFDFuzzCorpusFileDecodesWithoutTrapping() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).sorted()
        #expect(names.count >= 4, "corpus missing at \(Self.directory.path)")
        var states: Set<BFDState> = []
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(name)))
            let options = bytes.first ?? 0
            var session = BFDSession(
                localDiscriminator: 0x0102_0304,
                settings: BFDSettings(
                    desiredMinTxInterval: 100_000, requiredMinRxInterval: 100_000, detectMultiplier: 2 + options % 4,
                    passive: options & 0x10 != 0),
                seed: UInt64(options) + 1)
            var now: UInt64 = 1_000_000_000
            _ = session.start(now: now)
            var rest = bytes.dropFirst()
            while !rest.isEmpty {
                let end = rest.indices.first { rest[$0] == 0xFF && $0 + 1 < rest.endIndex && rest[$0 + 1] == 0xFE }
                let datagram = rest[rest.startIndex..<(end ?? rest.endIndex)]
                rest = end.map { rest[($0 + 2)...] } ?? []
                now += 10_000_000
                _ = session.tick(now: now)
                guard let packet = try? BFDControlPacket.decode(datagram) else { continue }
                #expect(try BFDControlPacket.decode(packet.encoded) == packet, "\(name)")
                _ = session.receive(packet, now: now)
                states.insert(session.state)
            }
        }
        // The seeds take a session through the handshake to Up, and down again.
        #expect(states.contains(.up) && states.contains(.down), "\(states)")
    }
}
