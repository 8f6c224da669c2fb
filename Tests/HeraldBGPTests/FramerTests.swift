import HeraldBGP
import Testing

/// The streaming framer: message boundaries at any split, and the header checks of RFC 4271 section 6.1.
struct FramerTests {
    static let marker = [UInt8](repeating: 0xFF, count: 16)

    @Test func messagesSplitAtEveryByteAreReassembled() throws {
        let stream =
            GoldenVectorTests.birdOpen + BGPMessage.keepalive.encoded() + GoldenVectorTests.birdUpdate
            + GoldenVectorTests.birdEndOfRIBv4
        var framer = BGPFramer()
        var types: [UInt8] = []
        for byte in stream {
            framer.append([byte])
            while let frame = try framer.next() { types.append(frame.type) }
        }
        #expect(types == [1, 4, 2, 2])
        #expect(framer.buffered == 0)
    }

    @Test func headerErrorsNameTheirNotification() {
        func error(_ bytes: [UInt8], max: Int = 4096) -> BGPNotification? {
            var framer = BGPFramer(maxMessageLength: max)
            framer.append(bytes)
            do {
                _ = try framer.next()
                return nil
            } catch {
                return error.notification
            }
        }
        #expect(error([0xFE] + Self.marker.dropFirst() + [0, 19, 4]) == BGPNotification(code: 1, subcode: 1))
        #expect(error(Self.marker + [0, 18, 4]) == BGPNotification(code: 1, subcode: 2, data: [0, 18]))
        #expect(error(Self.marker + [0x10, 0x01, 2]) == BGPNotification(code: 1, subcode: 2, data: [0x10, 0x01]))
        #expect(error(Self.marker + [0, 20, 4, 0]) == BGPNotification(code: 1, subcode: 2, data: [0, 20]))
        #expect(error(Self.marker + [0, 28, 1]) == BGPNotification(code: 1, subcode: 2, data: [0, 28]))
        #expect(error(Self.marker + [0, 22, 2]) == BGPNotification(code: 1, subcode: 2, data: [0, 22]))
        #expect(error(Self.marker + [0, 20, 3]) == BGPNotification(code: 1, subcode: 2, data: [0, 20]))
        #expect(error(Self.marker + [0, 19, 9]) == BGPNotification(code: 1, subcode: 3, data: [9]))
        // With Extended Message negotiated, 4097 octets are fine (and wait for more bytes).
        #expect(error(Self.marker + [0x10, 0x01, 2], max: 65535) == nil)
    }

    @Test func aHeaderAloneIsNotAMessage() throws {
        var framer = BGPFramer()
        framer.append(Self.marker + [0, 23, 2])
        #expect(try framer.next() == nil)
        framer.append([0, 0, 0, 0])
        #expect(try framer.next() == BGPFrame(type: 2, body: [0, 0, 0, 0]))
    }
}
