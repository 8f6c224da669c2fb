import HeraldBGP
import Testing

/// Many prefixes per UPDATE, never more than the negotiated message size.
struct UpdatePackerTests {
    static func hosts(_ count: Int, v6: Bool = false) -> [BGPPrefix] {
        (0..<count).map { i in
            if v6 {
                var bytes: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 12)
                bytes[13] = UInt8(i >> 16 & 0xFF)
                bytes[14] = UInt8(i >> 8 & 0xFF)
                bytes[15] = UInt8(i & 0xFF)
                return BGPPrefix(address: bytes, length: 128)!
            }
            return BGPPrefix(address: [10, UInt8(i >> 16 & 0xFF), UInt8(i >> 8 & 0xFF), UInt8(i & 0xFF)], length: 32)!
        }
    }

    static var attributes: PathAttributes {
        var a = PathAttributes()
        a.origin = .igp
        a.asPath = [ASPathSegment(.sequence, [64512])]
        a.communities = [Community(text: "64512:100")!]
        return a
    }

    @Test(arguments: [(false, 4096), (true, 4096), (false, 65535), (true, 65535)])
    func announcementsFillMessagesUpToTheLimit(v6: Bool, limit: Int) throws {
        let prefixes = Self.hosts(10_000, v6: v6)
        let options = BGPCodecOptions(fourOctetAS: true, maxMessageLength: limit)
        let family: AddressFamily = v6 ? .ipv6Unicast : .ipv4Unicast
        let nextHop: [UInt8] = v6 ? Self.hosts(1, v6: true)[0].address : [198, 51, 100, 11]
        let updates = UpdatePacker.announce(
            prefixes, family: family, attributes: Self.attributes, nextHop: nextHop, options: options)
        var seen: [BGPPrefix] = []
        for update in updates {
            let bytes = BGPMessage.update(update).encoded(options)
            #expect(bytes.count <= limit)
            var framer = BGPFramer(maxMessageLength: limit)
            framer.append(bytes)
            guard case .update(let back) = try BGPMessage.decode(try #require(try framer.next()), options) else {
                continue
            }
            #expect(back.errors.isEmpty)
            seen += back.announced
        }
        #expect(seen == prefixes)
        // Packed tightly: 5 octets per IPv4 /32, 17 per IPv6 /128, less than one prefix of slack per message.
        let per = v6 ? 17 : 5
        #expect(updates.count <= prefixes.count * per / (limit - 80) + 1)
    }

    @Test(arguments: [false, true])
    func withdrawalsPackTheSameWay(v6: Bool) throws {
        let prefixes = Self.hosts(3000, v6: v6)
        let updates = UpdatePacker.withdraw(
            prefixes, family: v6 ? .ipv6Unicast : .ipv4Unicast, options: BGPCodecOptions())
        var seen: [BGPPrefix] = []
        for update in updates {
            let bytes = BGPMessage.update(update).encoded()
            #expect(bytes.count <= 4096)
            var framer = BGPFramer()
            framer.append(bytes)
            guard case .update(let back) = try BGPMessage.decode(try #require(try framer.next())) else { continue }
            seen += back.withdrawnAll
        }
        #expect(seen == prefixes)
        #expect(updates.count >= 2)
    }
}
