import HeraldBGP
import Testing

/// Messages captured with tcpdump from a real BIRD 2.0.12 and GoBGP 3.10 session (BIRD in AS 64512 at
/// 198.51.100.1, gobgpd in AS 64513 at 198.51.100.2), decoded by the codec and re-encoded byte for byte.
struct GoldenVectorTests {
    static let birdOpen = hex(
        """
        ffffffffffffffffffffffffffffffff00430104fc00005ac63364012602240104000100010104000200010200400a0078000101000002\
        010041040000fc0046004700
        """)
    static let gobgpOpen = hex(
        """
        ffffffffffffffffffffffffffffffff00410104fc01005ac63364022402220200490402766d0001040001000101040002000141040000\
        fc010506000100010002
        """)
    /// BIRD: ORIGIN IGP, AS_PATH 64512, NEXT_HOP 198.51.100.1, COMMUNITIES 64512:100, LARGE_COMMUNITY 64512:1:2,
    /// NLRI 203.0.113.0/24.
    static let birdUpdate = hex(
        """
        ffffffffffffffffffffffffffffffff0045020000002a4001010040020602010000fc00400304c6336401c00804fc000064c0200c0000\
        fc00000000010000000218cb0071
        """)
    static let birdEndOfRIBv4 = hex("ffffffffffffffffffffffffffffffff00170200000000")
    static let birdEndOfRIBv6 = hex("ffffffffffffffffffffffffffffffff001d0200000006800f03000201")
    /// GoBGP: IPv6 in MP_REACH_NLRI with an IPv4-mapped next hop, 2001:db8:77::/48.
    static let gobgpUpdateV6 = hex(
        """
        ffffffffffffffffffffffffffffffff0043020000002c4001010240020602010000fc01800e1c0002011000000000000000000000ffff\
        c6336402003020010db80077
        """)
    /// GoBGP's Cease, Peer De-configured, when it was stopped.
    static let gobgpCease = hex("ffffffffffffffffffffffffffffffff0015030603")

    static func decodeOne(_ bytes: [UInt8]) throws -> BGPMessage {
        var framer = BGPFramer()
        framer.append(bytes)
        let frame = try #require(try framer.next())
        #expect(try framer.next() == nil)
        return try BGPMessage.decode(frame)
    }

    @Test func birdOpenDecodesWithItsCapabilities() throws {
        guard case .open(let open) = try Self.decodeOne(Self.birdOpen) else {
            Issue.record("not an OPEN")
            return
        }
        #expect(open.asn == 64512)
        #expect(open.holdTime == 90)
        #expect(open.identifier == 0xC633_6401)
        #expect(open.families == [.ipv4Unicast, .ipv6Unicast])
        #expect(open.has(.routeRefresh))
        #expect(open.gracefulRestart?.restartTime == 120)
        #expect(open.gracefulRestart?.families.map(\.family) == [.ipv4Unicast, .ipv6Unicast])
        #expect(BGPMessage.open(open).encoded() == Self.birdOpen)
    }

    @Test func gobgpOpenDecodesWithItsCapabilities() throws {
        guard case .open(let open) = try Self.decodeOne(Self.gobgpOpen) else {
            Issue.record("not an OPEN")
            return
        }
        #expect(open.asn == 64513)
        #expect(open.families == [.ipv4Unicast, .ipv6Unicast])
        #expect(open.has(.routeRefresh))
        #expect(open.gracefulRestart == nil)
        #expect(BGPMessage.open(open).encoded() == Self.gobgpOpen)
    }

    @Test func birdUpdateCarriesCommunitiesAndLargeCommunities() throws {
        guard case .update(let update) = try Self.decodeOne(Self.birdUpdate) else {
            Issue.record("not an UPDATE")
            return
        }
        #expect(update.errors.isEmpty)
        #expect(update.attributes.origin == .igp)
        #expect(update.attributes.asPath == [ASPathSegment(.sequence, [64512])])
        #expect(update.attributes.nextHop == [198, 51, 100, 1])
        #expect(update.attributes.communities == [Community(text: "64512:100")!])
        #expect(update.attributes.largeCommunities == [LargeCommunity(64512, 1, 2)])
        #expect(update.nlri.map(\.description) == ["203.0.113.0/24"])
        #expect(BGPMessage.update(update).encoded() == Self.birdUpdate)
    }

    @Test func endOfRIBMarkersAreRecognisedAndRebuiltExactly() throws {
        guard case .update(let v4) = try Self.decodeOne(Self.birdEndOfRIBv4),
            case .update(let v6) = try Self.decodeOne(Self.birdEndOfRIBv6)
        else {
            Issue.record("not UPDATEs")
            return
        }
        #expect(v4.endOfRIBFamily == .ipv4Unicast)
        #expect(v6.endOfRIBFamily == .ipv6Unicast)
        #expect(BGPMessage.update(.endOfRIB(.ipv4Unicast)).encoded() == Self.birdEndOfRIBv4)
        #expect(BGPMessage.update(.endOfRIB(.ipv6Unicast)).encoded() == Self.birdEndOfRIBv6)
    }

    @Test func gobgpIPv6UpdateUsesMPReach() throws {
        guard case .update(let update) = try Self.decodeOne(Self.gobgpUpdateV6) else {
            Issue.record("not an UPDATE")
            return
        }
        #expect(update.errors.isEmpty)
        #expect(update.nlri.isEmpty)
        let reach = try #require(update.attributes.mpReach)
        #expect(reach.family == .ipv6Unicast)
        #expect(BGPPrefix.text(reach.nextHop) == "::ffff:c633:6402")
        #expect(reach.nlri.map(\.description) == ["2001:db8:77::/48"])
        #expect(update.attributes.origin == .incomplete)
        #expect(BGPMessage.update(update).encoded() == Self.gobgpUpdateV6)
    }

    @Test func gobgpCeaseIsPeerDeconfigured() throws {
        #expect(
            try Self.decodeOne(Self.gobgpCease)
                == .notification(BGPNotification(code: 6, subcode: BGPNotification.CeaseSubcode.peerDeconfigured)))
    }
}
