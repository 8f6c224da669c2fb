import HeraldL2
import HeraldTestSupport
import Testing

/// Seeded randomness for the codec property tests: each test names its seed and prints it, and every failure
/// message repeats it, so that a failure replays exactly.
enum Seeded {
    static func generator(_ seed: UInt64, for test: String) -> SplitMix64 {
        print("\(test): seed \(seed)")
        return SplitMix64(seed: seed)
    }

    static func bytes(_ count: Int, using random: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    /// A unicast MAC address (the group bit clear).
    static func unicastMAC(using random: inout SplitMix64) -> MACAddress {
        let b = bytes(6, using: &random)
        return MACAddress(b[0] & 0xFE, b[1], b[2], b[3], b[4], b[5])
    }
}

extension Array where Element == UInt8 {
    /// Gives `count` random offsets in `offsets` a value other than the one they hold.
    mutating func changeBytes(_ count: Int, in offsets: Range<Int>, using random: inout SplitMix64) {
        for _ in 0..<count {
            self[Int.random(in: offsets, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
        }
    }

    /// Cut to a random length, or extended by random bytes.
    mutating func resize(upTo maximum: Int, using random: inout SplitMix64) {
        let length = Int.random(in: 0...maximum, using: &random)
        if length <= count {
            removeLast(count - length)
        } else {
            self += Seeded.bytes(length - count, using: &random)
        }
    }
}

extension Array where Element == UInt8 {
    /// The mutation of round `round` of a property test over a valid frame: a few bytes changed (rounds 0 and 2
    /// modulo 3), cut short or extended (rounds 1 and 2 modulo 3).
    mutating func mutate(round: Int, using random: inout SplitMix64) {
        if round % 3 != 1 { changeBytes(Int.random(in: 1...6, using: &random), in: 0..<count, using: &random) }
        if round % 3 != 0 { resize(upTo: count + 16, using: &random) }
    }
}

/// What a codec made of one input in a property test.
enum CodecOutcome {
    /// Parsed; the test's checks of the parsed value have run.
    case accepted
    case dropped(L2DropReason)
    /// Well-formed but not for this entry point (`.ignore`).
    case other
}

/// Runs 20,000 rounds of a codec property test: `frame` makes the input of a round, `check` parses it and checks
/// what parses. Every frame the codec drops must be dropped too by a responder of type `R` announcing `address`,
/// and counted once under the same reason; and the inputs must exercise both sides, at least 1,000 accepted and
/// 1,000 dropped.
func checkEveryRound<R: L2Responder>(
    _: R.Type, announcing address: R.Address, seed: UInt64, test: String, packetType: PacketType, mac: MACAddress,
    frame: (_ round: Int, _ random: inout SplitMix64) -> [UInt8],
    check: (_ bytes: [UInt8], _ context: String) -> CodecOutcome
) {
    var random = Seeded.generator(seed, for: test)
    var responder = R()
    _ = responder.announce(id: "x", address: address, interfaces: nil)
    var accepted = 0
    var dropped = 0
    for round in 0..<20_000 {
        let bytes = frame(round, &random)
        let context = "seed \(seed), round \(round)"
        switch check(bytes, context) {
        case .accepted: accepted += 1
        case .other: break
        case .dropped(let reason):
            dropped += 1
            let before = responder.counters.drops[reason] ?? 0
            let action = bytes.withUnsafeBytes {
                responder.handle($0, packetType: packetType, interface: "eth0", mac: mac)
            }
            #expect(action == .drop(reason), "\(context)")
            #expect(responder.counters.drops[reason] == before + 1, "\(context)")
        }
    }
    #expect(accepted > 1000 && dropped > 1000, "seed \(seed): \(accepted) accepted, \(dropped) dropped")
}

/// Changes one byte of valid Neighbor Discovery frames where `NDPFrame.parse` checks it (EtherType, IP version, payload
/// length, next header, hop limit, addresses, or anywhere in the checksummed ICMPv6 message) and expects `parse` to
/// accept none: each is dropped, or ignored when the change made it another ICMPv6 type (byte 54).
func expectOneChangedCheckedByteRejected(
    seed: UInt64, test: String, frame: (inout SplitMix64) -> [UInt8], parse: ([UInt8]) -> NDPFrame.ParseResult
) {
    var random = Seeded.generator(seed, for: test)
    for round in 0..<5_000 {
        var bytes = frame(&random)
        let offsets = [12, 13, 14] + Array(18..<bytes.count)
        let offset = offsets[Int.random(in: 0..<offsets.count, using: &random)]
        // In byte 14 only the version, the high nibble, is checked; the low nibble starts the traffic class.
        let change = offset == 14 ? UInt8.random(in: 1...15, using: &random) << 4 : .random(in: 1...255, using: &random)
        bytes[offset] ^= change
        let result = parse(bytes)
        switch result {
        case .drop: break
        case .ignore where offset == 54: break
        default: Issue.record("seed \(seed), round \(round): byte \(offset) changed, yet \(result)")
        }
    }
}
