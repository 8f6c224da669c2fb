import HeraldL2
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

    @Test func randomInputNeverTraps() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...200, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if length > 13, Bool.random(using: &generator) {
                bytes[12] = 0x08
                bytes[13] = 0x06
            }
            _ = ARPFrame.parse(bytes)
        }
    }
}
