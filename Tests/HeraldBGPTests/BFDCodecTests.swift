import HeraldBGP
import Testing

/// The BFD control packet codec (RFC 5880 section 4.1) and the checks section 6.8.6 makes before a session is chosen.
struct BFDCodecTests {
    /// A Down packet as BIRD sends it first: version 1, state Down, multiplier 3, one second transmit, 100 ms receive.
    static let golden: [UInt8] = [
        0x20, 0x40, 0x03, 0x18,
        0x11, 0x22, 0x33, 0x44,
        0x00, 0x00, 0x00, 0x00,
        0x00, 0x0F, 0x42, 0x40,
        0x00, 0x01, 0x86, 0xA0,
        0x00, 0x00, 0x00, 0x00,
    ]

    @Test func goldenPacketDecodesAndEncodesBack() throws {
        let p = try BFDControlPacket.decode(Self.golden)
        #expect(p.state == .down)
        #expect(p.diagnostic == BFDDiagnostic.none)
        #expect(p.detectMultiplier == 3)
        #expect(p.myDiscriminator == 0x1122_3344)
        #expect(p.yourDiscriminator == 0)
        #expect(p.desiredMinTxInterval == 1_000_000)
        #expect(p.requiredMinRxInterval == 100_000)
        #expect(!p.poll && !p.final && !p.demand && !p.controlPlaneIndependent)
        #expect(p.encoded == Self.golden)
    }

    @Test func flagsAndDiagnosticRoundTrip() throws {
        var generator = SeededBytes(seed: 5880)
        for _ in 0..<2000 {
            let state = BFDState(rawValue: generator.next() % 4)!
            let p = BFDControlPacket(
                diagnostic: BFDDiagnostic(rawValue: generator.next() % 9)!, state: state,
                poll: generator.next() & 1 == 0, final: generator.next() & 1 == 0,
                controlPlaneIndependent: generator.next() & 1 == 0, demand: generator.next() & 1 == 0,
                detectMultiplier: max(1, generator.next()), myDiscriminator: max(1, generator.word()),
                yourDiscriminator: state == .up || state == .initializing ? max(1, generator.word()) : generator.word(),
                desiredMinTxInterval: generator.word(), requiredMinRxInterval: generator.word(),
                requiredMinEchoRxInterval: generator.word())
            let bytes = p.encoded
            #expect(bytes.count == 24)
            #expect(try BFDControlPacket.decode(bytes) == p)
        }
    }

    @Test func trailingBytesAfterTheLengthAreIgnored() throws {
        #expect(try BFDControlPacket.decode(Self.golden + [1, 2, 3]).encoded == Self.golden)
    }

    /// Every discard rule of section 6.8.6 that needs no session.
    @Test func receptionChecks() {
        func edited(_ change: (inout [UInt8]) -> Void) -> [UInt8] {
            var b = Self.golden
            change(&b)
            return b
        }
        func expectError(_ bytes: [UInt8], _ error: BFDDecodeError) {
            #expect(throws: error) { try BFDControlPacket.decode(bytes) }
        }
        expectError(Array(Self.golden.prefix(23)), .truncated(23))
        expectError(edited { $0[0] = 0x00 }, .unsupportedVersion(0))
        expectError(edited { $0[0] = 0x40 }, .unsupportedVersion(2))
        expectError(edited { $0[3] = 23 }, .badLength(23))
        expectError(edited { $0[3] = 25 }, .badLength(25))
        // The A bit: 26 bytes at least, and then refused because no authentication is configured.
        expectError(edited { $0[1] |= 0x04 }, .badLength(24))
        expectError(
            edited {
                $0[1] |= 0x04; $0[3] = 26; $0 += [1, 2]
            }, .authenticationPresent)
        expectError(edited { $0[2] = 0 }, .zeroDetectMultiplier)
        expectError(edited { $0[1] |= 0x01 }, .multipoint)
        expectError(edited { $0[4...7] = [0, 0, 0, 0] }, .zeroMyDiscriminator)
        expectError(edited { $0[1] = 0xC0 }, .zeroYourDiscriminator(.up))
        expectError(edited { $0[1] = 0x80 }, .zeroYourDiscriminator(.initializing))
        expectError(edited { $0[0] = 0x29 }, .unknownDiagnostic(9))
        // Your Discriminator zero is fine in Down and AdminDown.
        #expect((try? BFDControlPacket.decode(edited { $0[1] = 0x00 }))?.state == .adminDown)
    }

    /// Random datagrams: decoding never traps, and whatever decodes encodes to its own first 24 bytes (with
    /// the Length of an unauthenticated packet, 24).
    @Test func randomDatagramsDecodeOrAreRefused() {
        var generator = SeededBytes(seed: 4784)
        var decoded = 0
        for _ in 0..<50_000 {
            var bytes = (0..<Int(generator.next() % 40)).map { _ in generator.next() }
            // Steer half of them past the version and length checks, so that the later checks are reached.
            if generator.next() & 1 == 0, bytes.count >= 24 {
                bytes[0] = 0x20 | (bytes[0] & 0x1F)
                bytes[3] = 24
            }
            guard let p = try? BFDControlPacket.decode(bytes) else { continue }
            decoded += 1
            var expected = Array(bytes.prefix(24))
            expected[3] = 24
            #expect(p.encoded == expected)
        }
        #expect(decoded > 300, "the random inputs reach the accepted path (\(decoded))")
    }
}

/// A small deterministic generator for the codec's property tests.
struct SeededBytes {
    private var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt8 { UInt8(truncatingIfNeeded: step() >> 24) }
    mutating func word() -> UInt32 { UInt32(truncatingIfNeeded: step() >> 16) }
    private mutating func step() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
