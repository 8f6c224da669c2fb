import HeraldBGP
import Testing

/// Every message the codec builds decodes back to itself, with 2- and 4-octet AS encodings.
struct CodecRoundTripTests {
    static func roundTrip(_ message: BGPMessage, _ options: BGPCodecOptions = BGPCodecOptions()) throws -> BGPMessage {
        var framer = BGPFramer(maxMessageLength: options.maxMessageLength)
        framer.append(message.encoded(options))
        let frame = try #require(try framer.next())
        return try BGPMessage.decode(frame, options)
    }

    static func prefix(_ text: String) -> BGPPrefix {
        let parts = text.split(separator: "/")
        let length = Int(parts[1])!
        if parts[0].contains(":") {
            var bytes = [UInt8](repeating: 0, count: 16)
            let groups = parts[0].split(separator: ":", omittingEmptySubsequences: false)
            // Test helper: handles "a:b::" forms used below (a leading run of groups, then zeros).
            for (index, group) in groups.enumerated() where !group.isEmpty {
                let value = UInt16(group, radix: 16)!
                bytes[index * 2] = UInt8(value >> 8)
                bytes[index * 2 + 1] = UInt8(value & 0xFF)
            }
            return BGPPrefix(address: bytes, length: length)!
        }
        return BGPPrefix(address: parts[0].split(separator: ".").map { UInt8($0)! }, length: length)!
    }

    @Test func openWithEveryCapabilityRoundTrips() throws {
        let open = BGPOpen(
            asn: 4_200_000_001, holdTime: 90, identifier: 0xC633_640B,
            capabilities: [
                .multiprotocol(.ipv4Unicast), .multiprotocol(.ipv6Unicast), .routeRefresh, .extendedMessage,
                .gracefulRestart(
                    .init(
                        restarting: true, restartTime: 120,
                        families: [.init(family: .ipv4Unicast, forwardingPreserved: true)])),
                .unknown(code: 70, value: []),
            ])
        #expect(open.myAS == BGPOpen.asTrans, "an AS above 65535 puts AS_TRANS in the 2-octet field")
        let decoded = try Self.roundTrip(.open(open))
        #expect(decoded == .open(open))
        guard case .open(let back) = decoded else { return }
        #expect(back.asn == 4_200_000_001)
        #expect(back.gracefulRestart?.restarting == true)
    }

    @Test func updateWithEveryAttributeRoundTrips() throws {
        var attributes = PathAttributes()
        attributes.origin = .igp
        attributes.asPath = [ASPathSegment(.sequence, [64512, 4_200_000_001])]
        attributes.nextHop = [198, 51, 100, 11]
        attributes.med = 7
        attributes.localPreference = 200
        attributes.atomicAggregate = true
        attributes.communities = [Community(text: "64512:100")!, Community(text: "no-export")!]
        attributes.largeCommunities = [LargeCommunity(text: "4200000001:1:2")!]
        attributes.other = [PathAttributes.Raw(flags: 0xC0, type: 99, value: [1, 2, 3])]
        let update = BGPUpdate(
            withdrawn: [Self.prefix("192.0.2.0/24")], attributes: attributes,
            nlri: [Self.prefix("198.51.100.50/32"), Self.prefix("10.0.0.0/8"), Self.prefix("0.0.0.0/0")])
        #expect(try Self.roundTrip(.update(update)) == .update(update))
    }

    @Test func twoOctetSessionsCarryAS4Path() throws {
        var attributes = PathAttributes()
        attributes.origin = .igp
        attributes.asPath = [ASPathSegment(.sequence, [4_200_000_001])]
        attributes.nextHop = [198, 51, 100, 11]
        let options = BGPCodecOptions(fourOctetAS: false)
        guard case .update(let back) = try Self.roundTrip(.update(BGPUpdate(attributes: attributes)), options) else {
            Issue.record("not an UPDATE")
            return
        }
        // RFC 6793 section 4.2.2: AS_TRANS in AS_PATH, the real AS in AS4_PATH.
        #expect(back.attributes.asPath == [ASPathSegment(.sequence, [UInt32(BGPOpen.asTrans)])])
        #expect(back.attributes.as4Path == [ASPathSegment(.sequence, [4_200_000_001])])
    }

    @Test func ipv6UpdateAndWithdrawRoundTrip() throws {
        var attributes = PathAttributes()
        attributes.origin = .igp
        attributes.asPath = []
        attributes.mpReach = .init(
            family: .ipv6Unicast, nextHop: Self.prefix("2001:db8::11/128").address,
            nlri: [Self.prefix("2001:db8:4e::10/128"), Self.prefix("2001:db8:4e::/48")])
        let update = BGPUpdate(attributes: attributes)
        #expect(try Self.roundTrip(.update(update)) == .update(update))
        var unreach = PathAttributes()
        unreach.mpUnreach = .init(family: .ipv6Unicast, withdrawn: [Self.prefix("2001:db8:4e::10/128")])
        let withdraw = BGPUpdate(attributes: unreach)
        #expect(try Self.roundTrip(.update(withdraw)) == .update(withdraw))
        #expect(withdraw.endOfRIBFamily == nil)
    }

    @Test func notificationKeepaliveAndRouteRefreshRoundTrip() throws {
        let messages: [BGPMessage] = [
            .keepalive,
            .notification(.cease(BGPNotification.CeaseSubcode.administrativeShutdown, message: "Herald stopping")),
            .notification(BGPNotification(code: 4, subcode: 0)),
            .routeRefresh(BGPRouteRefresh(family: .ipv6Unicast)),
        ]
        for message in messages { #expect(try Self.roundTrip(message) == message) }
        let cease = BGPNotification.cease(2, message: String(repeating: "é", count: 200))
        #expect(cease.data.count == 255, "the shutdown communication is cut at a character boundary")
        #expect(cease.description.hasSuffix("é"))
    }

    @Test func prefixesClearBitsPastTheirLength() {
        #expect(BGPPrefix(address: [192, 0, 2, 255], length: 25)?.description == "192.0.2.128/25")
        #expect(BGPPrefix(address: [192, 0, 2, 255], length: 33) == nil)
        #expect(BGPPrefix(address: [1, 2, 3], length: 8) == nil)
        #expect(Self.prefix("2001:db8::/32").description == "2001:db8::/32")
    }

    @Test func communitiesParseNumbersAndWellKnownNames() {
        #expect(Community(text: "64512:100") == Community(asn: 64512, local: 100))
        #expect(Community(text: "64512:100")?.value == 0xFC00_0064)
        #expect(Community(text: "no-export")?.value == 0xFFFF_FF01)
        #expect(Community(text: "NO-ADVERTISE")?.value == 0xFFFF_FF02)
        #expect(Community(text: "65536:1") == nil)
        #expect(Community(text: "1:2:3") == nil)
        #expect(LargeCommunity(text: "4294967295:0:1") == LargeCommunity(4_294_967_295, 0, 1))
        #expect(LargeCommunity(text: "1:2") == nil)
    }
}
