import HeraldBGP
import Testing

/// The per-peer Adj-RIB-Out: only differences are sent, withdrawals before announcements, attributes by session type.
struct AdjRIBOutTests {
    static let a = BGPPrefix(address: [192, 0, 2, 1], length: 32)!
    static let b = BGPPrefix(address: [192, 0, 2, 2], length: 32)!
    static let v6 = BGPPrefix(address: [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1], length: 128)!

    static func policy(internal isInternal: Bool, v6NextHop: Bool = true) -> ExportPolicy {
        ExportPolicy(
            localASN: 64513, isInternal: isInternal, nextHopIPv4: [198, 51, 100, 11],
            nextHopIPv6: v6NextHop ? v6.address : nil, families: [.ipv4Unicast, .ipv6Unicast],
            codec: BGPCodecOptions())
    }

    @Test func onlyDifferencesAreSent() {
        var rib = AdjRIBOut()
        let plain = RouteAttributes()
        var updates = rib.sync(to: [Self.a: plain, Self.b: plain], policy: Self.policy(internal: false))
        #expect(updates.count == 1, "both prefixes share one UPDATE")
        #expect(Set(updates[0].nlri) == [Self.a, Self.b])
        #expect(rib.sync(to: [Self.a: plain, Self.b: plain], policy: Self.policy(internal: false)).isEmpty)
        let tagged = RouteAttributes(communities: [Community(text: "64512:1")!])
        updates = rib.sync(to: [Self.a: tagged], policy: Self.policy(internal: false))
        #expect(updates.count == 2)
        #expect(updates[0].withdrawn == [Self.b], "withdrawals go first")
        #expect(updates[1].nlri == [Self.a])
        #expect(updates[1].attributes.communities == tagged.communities)
        rib.reset()
        #expect(
            rib.sync(to: [Self.a: tagged], policy: Self.policy(internal: false)).count == 1, "all again after a reset")
    }

    @Test func ebgpAndIbgpAttributes() {
        var rib = AdjRIBOut()
        let route = RouteAttributes(localPreference: 300, med: 9)
        let ebgp = rib.sync(to: [Self.a: route], policy: Self.policy(internal: false))[0].attributes
        #expect(ebgp.asPath == [ASPathSegment(.sequence, [64513])])
        #expect(ebgp.localPreference == nil, "LOCAL_PREF is not sent to eBGP peers")
        #expect(ebgp.med == 9)
        #expect(ebgp.nextHop == [198, 51, 100, 11])
        rib.reset()
        let ibgp = rib.sync(to: [Self.a: route], policy: Self.policy(internal: true))[0].attributes
        #expect(ibgp.asPath == [])
        #expect(ibgp.localPreference == 300)
        rib.reset()
        let fallback = rib.sync(to: [Self.a: RouteAttributes()], policy: Self.policy(internal: true))[0].attributes
        #expect(fallback.localPreference == 100)
    }

    @Test func aFamilyWithoutNextHopIsNotSent() {
        var rib = AdjRIBOut()
        let updates = rib.sync(
            to: [Self.a: RouteAttributes(), Self.v6: RouteAttributes()],
            policy: Self.policy(internal: false, v6NextHop: false))
        #expect(updates.flatMap(\.announced) == [Self.a])
        #expect(rib.sent.keys.contains(Self.v6) == false)
        let withNextHop = rib.sync(
            to: [Self.a: RouteAttributes(), Self.v6: RouteAttributes()], policy: Self.policy(internal: false))
        #expect(withNextHop.first?.attributes.mpReach?.nlri == [Self.v6])
    }
}
