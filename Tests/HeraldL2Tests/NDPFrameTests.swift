import HeraldL2
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

    @Test func randomInputNeverTraps() {
        var generator = SystemRandomNumberGenerator()
        let base = solicitation()
        for _ in 0..<20_000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
            _ = NDPFrame.parseSolicitation(bytes)
        }
    }
}
