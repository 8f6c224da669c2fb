import HeraldL2
import HeraldTestSupport
import Testing

/// RFC 4861 codec: solicitation validity checks and the advertisements Herald builds.
struct NDPFrameTests {
    let mac = MACAddress(0x02, 0, 0, 0, 0, 0x0A)
    let asker = MACAddress(0x02, 0, 0, 0, 0, 0x01)
    let vip = IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x50)
    let router = IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x1)

    /// A solicitation built independently of the codec under test, with its checksum filled in.
    func solicitation(
        source: IPv6Address? = nil, destination: IPv6Address? = nil, slla: Bool = true, hopLimit: UInt8 = 255,
        options: [UInt8]? = nil
    ) -> [UInt8] {
        let src = source ?? router
        let dst = destination ?? vip.solicitedNode
        var icmp: [UInt8] = [135, 0, 0, 0, 0, 0, 0, 0] + vip.bytes
        if let options { icmp += options } else if slla { icmp += [1, 1] + asker.array }
        let sum = icmp.withUnsafeBytes { ICMPv6Checksum.compute(source: src, destination: dst, message: $0) }
        icmp[2] = UInt8(sum >> 8)
        icmp[3] = UInt8(sum & 0xFF)
        return dst.multicastMAC.array + asker.array + [0x86, 0xDD, 0x60, 0, 0, 0, 0, UInt8(icmp.count), 58, hopLimit]
            + src.bytes + dst.bytes + icmp
    }

    @Test func textFormFollowsRFC5952() {
        #expect(vip.description == "2001:db8::50")
        #expect(IPv6Address.allNodes.description == "ff02::1")
        #expect(IPv6Address.unspecified.description == "::")
        #expect(IPv6Address(high: 0x2001_0db8_0000_0001, low: 0x0000_0000_0001_0000).description == "2001:db8:0:1::1:0")
    }

    @Test func solicitedNodeGroupAndItsMAC() {
        #expect(vip.solicitedNode.description == "ff02::1:ff00:50")
        #expect(vip.solicitedNode.multicastMAC == MACAddress(0x33, 0x33, 0xFF, 0, 0, 0x50))
    }

    @Test func validSolicitationParses() {
        let parsed = NDPFrame.parseSolicitation(solicitation())
        guard case .solicitation(let s) = parsed else {
            Issue.record("not parsed: \(parsed)")
            return
        }
        #expect(s.target == vip && s.source == router && s.sourceLinkLayer == asker)
    }

    @Test func answerToAMulticastSolicitationIsUnicastSolicitedOverride() {
        guard case .solicitation(let s) = NDPFrame.parseSolicitation(solicitation()) else {
            Issue.record("not parsed")
            return
        }
        let na = NDPFrame.answer(to: s, mac: mac)
        #expect(Array(na[0..<6]) == asker.array)
        #expect(na[21] == 255)  // hop limit
        #expect(na[54] == 136 && na[55] == 0)
        #expect(na[58] == 0x60)  // S=1 O=1
        #expect(Array(na[22..<38]) == vip.bytes && Array(na[38..<54]) == router.bytes)
        #expect(Array(na[62..<78]) == vip.bytes)
        #expect(Array(na[78..<86]) == [2, 1] + mac.array)
        let valid = na.withUnsafeBytes {
            ICMPv6Checksum.compute(
                source: vip, destination: router, message: UnsafeRawBufferPointer(rebasing: $0[54...]))
        }
        #expect(valid == 0)
    }

    @Test func unicastProbeWithoutOptionIsAnsweredToTheFrameSource() {
        guard case .solicitation(let s) = NDPFrame.parseSolicitation(solicitation(destination: vip, slla: false))
        else {
            Issue.record("not parsed")
            return
        }
        #expect(s.sourceLinkLayer == nil)
        let na = NDPFrame.answer(to: s, mac: mac)
        #expect(Array(na[0..<6]) == asker.array)
        #expect(na[58] == 0x60)
    }

    @Test func dadProbeIsAnsweredToAllNodesWithoutSolicitedFlag() {
        let frame = solicitation(source: .unspecified, slla: false)
        guard case .solicitation(let s) = NDPFrame.parseSolicitation(frame) else {
            Issue.record("not parsed")
            return
        }
        let na = NDPFrame.answer(to: s, mac: mac)
        #expect(Array(na[0..<6]) == [0x33, 0x33, 0, 0, 0, 1])
        #expect(Array(na[38..<54]) == IPv6Address.allNodes.bytes)
        #expect(na[58] == 0x20)
    }

    @Test func unsolicitedAdvertisementOverridesWithoutSolicitedFlag() {
        let na = NDPFrame.unsolicited(vip, mac: mac)
        #expect(Array(na[38..<54]) == IPv6Address.allNodes.bytes)
        #expect(na[58] == 0x20)
        #expect(na[21] == 255)
    }

    @Test func invalidSolicitationsAreDropped() {
        #expect(NDPFrame.parseSolicitation(solicitation(hopLimit: 64)) == .drop(.invalidSolicitation))
        var corrupted = solicitation()
        corrupted[70] ^= 0xFF
        #expect(NDPFrame.parseSolicitation(corrupted) == .drop(.badChecksum))
        #expect(NDPFrame.parseSolicitation(solicitation(options: [1, 0, 0, 0, 0, 0, 0, 0])) == .drop(.badLength))
        #expect(NDPFrame.parseSolicitation(solicitation(options: [1, 2, 0, 0, 0, 0, 0, 0])) == .drop(.badLength))
        // From the unspecified address: no source link-layer option allowed (RFC 4861 section 7.1.1).
        #expect(NDPFrame.parseSolicitation(solicitation(source: .unspecified)) == .drop(.invalidSolicitation))
        let full = solicitation()
        #expect(NDPFrame.parseSolicitation(Array(full.prefix(50))) == .drop(.short))
        #expect(NDPFrame.parseSolicitation(Array(full.prefix(60))) == .drop(.badLength), "payload cut short")
        #expect(NDPFrame.parseSolicitation(Array(full.prefix(80))) == .drop(.badLength))
        #expect(NDPFrame.parseSolicitation(full + [UInt8](repeating: 0, count: 1500)) == .drop(.oversized))
        let tagged = Array(full[0..<12]) + [0x81, 0, 0, 7] + Array(full[12...])
        #expect(NDPFrame.parseSolicitation(tagged) == .drop(.vlanTagged))
        var other = full
        other[54] = 128  // echo request
        #expect(NDPFrame.parseSolicitation(other) == .ignore)
        var extensionHeader = full
        extensionHeader[20] = 0  // hop-by-hop options
        #expect(NDPFrame.parseSolicitation(extensionHeader) == .drop(.notICMPv6))
    }

    /// One of the valid forms: multicast with the source link-layer option, a unicast probe, a DAD probe.
    func randomSolicitation(using random: inout SplitMix64) -> [UInt8] {
        switch Int.random(in: 0..<3, using: &random) {
        case 0: solicitation()
        case 1: solicitation(destination: vip, slla: false)
        default: solicitation(source: .unspecified, slla: false)
        }
    }

    /// Valid solicitations with random bytes changed, cut short or extended: a solicitation that parses gets an
    /// answer that parses as the advertisement RFC 4861 section 7.2.4 prescribes for it, and the responder drops
    /// every frame the codec drops and counts it under the same reason.
    @Test func whatParsesIsAnsweredAndEveryDropIsCounted() {
        checkEveryRound(
            NDPResponder.self, announcing: vip,
            seed: 0x86DD_0135, test: "NDPFrameTests.whatParsesIsAnsweredAndEveryDropIsCounted",
            packetType: .multicast, mac: mac,
            frame: { round, random in
                var bytes = randomSolicitation(using: &random)
                bytes.mutate(round: round, using: &random)
                return bytes
            },
            check: { bytes, context in
                switch NDPFrame.parseSolicitation(bytes) {
                case .solicitation(let s):
                    let dad = s.source == .unspecified
                    let expected = NDPFrame.Advertisement(
                        ethernetSource: mac, source: s.target, destination: dad ? .allNodes : s.source,
                        target: s.target, flags: dad ? [.override] : [.solicited, .override], targetLinkLayer: mac)
                    #expect(!s.target.isMulticast, "\(context)")
                    #expect(NDPFrame.parse(NDPFrame.answer(to: s, mac: mac)) == .advertisement(expected), "\(context)")
                    return .accepted
                case .drop(let reason): return .dropped(reason)
                case .ignore, .advertisement: return .other
                }
            })
    }

    /// A valid solicitation with one byte changed where `parse` checks it (EtherType, IP version, payload length,
    /// next header, hop limit, addresses, or anywhere in the checksummed ICMPv6 message) is not accepted: dropped,
    /// or ignored when the change made it another ICMPv6 type.
    @Test func aChangedCheckedByteIsRejected() {
        expectOneChangedCheckedByteRejected(
            seed: 0x86DD_0001, test: "NDPFrameTests.aChangedCheckedByteIsRejected",
            frame: { randomSolicitation(using: &$0) },
            parse: NDPFrame.parseSolicitation)
    }
}
