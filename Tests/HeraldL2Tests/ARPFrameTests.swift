import HeraldL2
import HeraldTestSupport
import Testing

/// RFC 826 codec: parsing, bounds, and the frames Herald builds.
struct ARPFrameTests {
    let mac = MACAddress(0x02, 0, 0, 0, 0, 0x0A)
    let asker = MACAddress(0x02, 0, 0, 0, 0, 0x01)
    let vip = IPv4Address([198, 51, 100, 50])!
    let router = IPv4Address([198, 51, 100, 1])!

    func request(to destination: MACAddress = .broadcast) -> ARPFrame {
        ARPFrame(
            ethernetDestination: destination, ethernetSource: asker, operation: .request, senderHardware: asker,
            senderAddress: router, targetHardware: .zero, targetAddress: vip)
    }

    @Test func requestRoundTripsAndIsPaddedToSixtyBytes() {
        let bytes = request().encoded()
        #expect(bytes.count == 60)
        #expect(Array(bytes[12..<22]) == [0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1])
        #expect(ARPFrame.parse(bytes) == .frame(request()))
    }

    @Test func replySwapsAddressesAndGoesToTheAsker() {
        let reply = ARPFrame.reply(to: request(), from: mac)
        #expect(reply.operation == .reply)
        #expect(reply.ethernetDestination == asker && reply.ethernetSource == mac)
        #expect(reply.senderHardware == mac && reply.senderAddress == vip)
        #expect(reply.targetHardware == asker && reply.targetAddress == router)
    }

    @Test func gratuitousFormsFollowRFC5227() {
        let request = ARPFrame.gratuitous(vip, from: mac, operation: .request)
        let reply = ARPFrame.gratuitous(vip, from: mac, operation: .reply)
        for frame in [request, reply] {
            #expect(frame.ethernetDestination == .broadcast)
            #expect(frame.senderAddress == vip && frame.targetAddress == vip)
        }
        #expect(request.targetHardware == .zero)
        #expect(reply.targetHardware == mac)
    }

    @Test(arguments: [0, 1, 13, 14, 41])
    func shortFramesAreDropped(length: Int) {
        #expect(ARPFrame.parse(Array(request().encoded().prefix(length))) == .drop(.short))
    }

    @Test func malformedFramesAreDroppedWithTheirReason() {
        var bytes = request().encoded()
        #expect(ARPFrame.parse(bytes + [UInt8](repeating: 0, count: 200)) == .drop(.oversized))
        let tagged = Array(bytes[0..<12]) + [0x81, 0x00, 0x00, 0x07] + Array(bytes[12...])
        #expect(ARPFrame.parse(tagged) == .drop(.vlanTagged))
        bytes[12] = 0x08
        bytes[13] = 0x00
        #expect(ARPFrame.parse(bytes) == .drop(.wrongEtherType))
        bytes = request().encoded()
        bytes[15] = 6  // hardware type IEEE 802
        #expect(ARPFrame.parse(bytes) == .drop(.unsupportedType))
        bytes = request().encoded()
        bytes[18] = 8
        #expect(ARPFrame.parse(bytes) == .drop(.badLength))
        bytes = request().encoded()
        bytes[21] = 9
        #expect(ARPFrame.parse(bytes) == .drop(.unknownOperation))
        bytes = request().encoded()
        bytes[22] = 0x01  // multicast sender hardware address
        #expect(ARPFrame.parse(bytes) == .drop(.badSender))
    }

    /// A valid frame with random addresses and operation.
    static func randomFrame(using random: inout SplitMix64) -> ARPFrame {
        let source = Seeded.unicastMAC(using: &random)
        return ARPFrame(
            ethernetDestination: Bool.random(using: &random) ? .broadcast : Seeded.unicastMAC(using: &random),
            ethernetSource: source, operation: Bool.random(using: &random) ? .request : .reply, senderHardware: source,
            senderAddress: IPv4Address(random.next32()), targetHardware: Seeded.unicastMAC(using: &random),
            targetAddress: IPv4Address(random.next32()))
    }

    /// Random input, from arbitrary bytes to valid frames with a few bytes changed, cut short or extended: a frame
    /// that parses is exactly what the encoder writes for it (the first 42 bytes), and it encodes back to itself.
    /// The responder drops every frame the codec drops and counts it under the same reason.
    @Test func whatParsesRoundTripsAndEveryDropIsCounted() {
        checkEveryRound(
            ARPResponder.self, announcing: vip,
            seed: 0x0806_2026, test: "ARPFrameTests.whatParsesRoundTripsAndEveryDropIsCounted",
            packetType: .broadcast, mac: mac,
            frame: { round, random in
                var bytes = Self.randomFrame(using: &random).encoded()
                switch round % 4 {
                case 0:
                    bytes = Seeded.bytes(Int.random(in: 0...200, using: &random), using: &random)
                    if bytes.count > 13, Bool.random(using: &random) { (bytes[12], bytes[13]) = (0x08, 0x06) }
                case 1: bytes.changeBytes(Int.random(in: 1...3, using: &random), in: 0..<42, using: &random)
                case 2: bytes.resize(upTo: 140, using: &random)
                default: bytes.changeBytes(Int.random(in: 1...4, using: &random), in: 0..<bytes.count, using: &random)
                }
                return bytes
            },
            check: { bytes, context in
                let result = ARPFrame.parse(bytes)
                switch result {
                case .frame(let frame):
                    let encoded = frame.encoded()
                    #expect(Array(encoded[0..<42]) == Array(bytes[0..<42]), "\(context)")
                    #expect(ARPFrame.parse(encoded) == result, "\(context)")
                    return .accepted
                case .drop(let reason): return .dropped(reason)
                }
            })
    }

    /// A valid frame with one byte changed in a field `parse` checks is dropped with that field's reason; only an
    /// operation changed into the other valid one still parses.
    @Test func aChangedCheckedByteIsDroppedWithItsReason() {
        let seed: UInt64 = 0x0806_0001
        var random = Seeded.generator(seed, for: "ARPFrameTests.aChangedCheckedByteIsDroppedWithItsReason")
        for round in 0..<5_000 {
            var bytes = Self.randomFrame(using: &random).encoded()
            let offset = Int.random(in: 6..<28, using: &random)
            bytes[offset] ^= UInt8.random(in: 1...255, using: &random)
            let expected: L2DropReason? =
                switch offset {
                case 6..<12: .senderMismatch
                case 12, 13: .wrongEtherType
                case 14..<18: .unsupportedType
                case 18, 19: .badLength
                case 20: .unknownOperation
                case 21: bytes[21] == 1 || bytes[21] == 2 ? nil : .unknownOperation
                default: offset == 22 && bytes[22] & 1 == 1 ? .badSender : .senderMismatch
                }
            let result = ARPFrame.parse(bytes)
            if let expected {
                #expect(result == .drop(expected), "seed \(seed), round \(round): byte \(offset)")
            } else if case .frame(let frame) = result {
                #expect(frame.operation.rawValue == UInt16(bytes[21]), "seed \(seed), round \(round)")
            } else {
                Issue.record("seed \(seed), round \(round): another valid operation was dropped: \(result)")
            }
        }
    }
}

extension SplitMix64 {
    mutating func next32() -> UInt32 { UInt32(truncatingIfNeeded: next()) }
}
