import HeraldL2
import HeraldTestSupport
import Testing

/// Neighbor Advertisements: the RFC 4861 section 7.1.2 checks of the codec, and the conflict the NDP responder sees
/// in one from another station for an address we announce.
struct NDPConflictTests {
    let mac = MACAddress(0x02, 0, 0, 0, 0, 0x0A)
    let other = MACAddress(0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE)
    let vip = IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x150)
    let router = IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x1)

    /// An advertisement built independently of the codec under test, with its checksum filled in.
    func advertisement(
        from ethernetSource: MACAddress? = nil, source: IPv6Address? = nil, destination: IPv6Address = .allNodes,
        target: IPv6Address? = nil, flags: UInt8 = 0x20, tlla: MACAddress?? = .some(nil), hopLimit: UInt8 = 255,
        code: UInt8 = 0, options: [UInt8]? = nil, corrupt: Bool = false
    ) -> [UInt8] {
        let ethernetSource = ethernetSource ?? other
        let target = target ?? vip
        let src = source ?? target
        var icmp: [UInt8] = [136, code, 0, 0, flags, 0, 0, 0] + target.bytes
        if let options {
            icmp += options
        } else if case .some(let explicit) = tlla {
            icmp += [2, 1] + (explicit ?? ethernetSource).array
        }
        let sum = icmp.withUnsafeBytes { ICMPv6Checksum.compute(source: src, destination: destination, message: $0) }
        icmp[2] = UInt8(sum >> 8)
        icmp[3] = UInt8(sum & 0xFF) ^ (corrupt ? 1 : 0)
        let ethernetDestination = destination.isMulticast ? destination.multicastMAC : mac
        return ethernetDestination.array + ethernetSource.array
            + [0x86, 0xDD, 0x60, 0, 0, 0, 0, UInt8(icmp.count), 58, hopLimit] + src.bytes + destination.bytes + icmp
    }

    func handle(
        _ r: inout NDPResponder, _ bytes: [UInt8], _ type: PacketType = .multicast, on name: String = "eth0"
    ) -> L2Action {
        bytes.withUnsafeBytes { r.handle($0, packetType: type, interface: name, mac: mac) }
    }

    func responder() -> NDPResponder {
        var r = NDPResponder()
        _ = r.announce(id: "default/web6", address: vip, interfaces: nil)
        return r
    }

    func conflict(_ ids: [String] = ["default/web6"], by claimant: MACAddress? = nil) -> L2Action {
        .conflict(L2Conflict(address: "2001:db8::150", announcementIDs: ids, otherMAC: claimant ?? other), reply: nil)
    }

    @Test func validAdvertisementParses() {
        let parsed = NDPFrame.parse(advertisement())
        guard case .advertisement(let a) = parsed else {
            Issue.record("not parsed: \(parsed)")
            return
        }
        #expect(a.target == vip && a.source == vip && a.destination == .allNodes)
        #expect(a.flags == [.override] && a.targetLinkLayer == other && a.claimant == other)
        // Without the option, the Ethernet source claims the address.
        guard case .advertisement(let bare) = NDPFrame.parse(advertisement(tlla: .none)) else {
            Issue.record("not parsed without option")
            return
        }
        #expect(bare.targetLinkLayer == nil && bare.claimant == other)
        // Our own encoder's advertisements parse back.
        let ours = NDPFrame.unsolicited(vip, mac: mac)
        #expect(
            NDPFrame.parse(ours)
                == .advertisement(
                    NDPFrame.Advertisement(
                        ethernetSource: mac, source: vip, destination: .allNodes, target: vip, flags: [.override],
                        targetLinkLayer: mac)))
        // The solicitation-only entry point leaves advertisements alone.
        #expect(NDPFrame.parseSolicitation(advertisement()) == .ignore)
    }

    @Test func invalidAdvertisementsAreDropped() {
        #expect(NDPFrame.parse(advertisement(hopLimit: 64)) == .drop(.invalidAdvertisement))
        #expect(NDPFrame.parse(advertisement(code: 1)) == .drop(.invalidAdvertisement))
        #expect(NDPFrame.parse(advertisement(corrupt: true)) == .drop(.badChecksum))
        #expect(NDPFrame.parse(advertisement(source: vip, target: .allNodes)) == .drop(.invalidAdvertisement))
        // Solicited flag set on a multicast destination (RFC 4861 section 7.1.2).
        #expect(NDPFrame.parse(advertisement(flags: 0x60)) == .drop(.invalidAdvertisement))
        if case .advertisement = NDPFrame.parse(advertisement(destination: router, flags: 0x60)) {
        } else {
            Issue.record("a solicited unicast advertisement is valid")
        }
        #expect(NDPFrame.parse(advertisement(options: [2, 0, 0, 0, 0, 0, 0, 0])) == .drop(.badLength))
        #expect(NDPFrame.parse(advertisement(options: [2, 2, 0, 0, 0, 0, 0, 0])) == .drop(.badLength))
        #expect(NDPFrame.parse(advertisement(tlla: .some(.broadcast))) == .drop(.badSender))
        // Without the option, a multicast Ethernet source cannot claim the address (found by scripts/fuzz-l2).
        let group = MACAddress(0x0F, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE)
        #expect(NDPFrame.parse(advertisement(from: group, tlla: .none)) == .drop(.badSender))
        let full = advertisement()
        #expect(NDPFrame.parse(Array(full.prefix(60))) == .drop(.badLength), "payload cut short")
        // ICMP length below 24: the IPv6 payload length says 16.
        var short = Array(full.prefix(54 + 16))
        short[19] = 16
        #expect(NDPFrame.parse(short) == .drop(.badLength))
    }

    @Test func advertisementFromAnotherMACIsAConflict() {
        var r = responder()
        _ = r.announce(id: "default/api6", address: vip, interfaces: nil)
        #expect(handle(&r, advertisement()) == conflict(["default/api6", "default/web6"]))
        // The option names the claimant even when the frame comes from elsewhere.
        let relayed = advertisement(from: MACAddress(0x02, 0, 0, 0, 0, 0x77), tlla: .some(other))
        #expect(handle(&r, relayed) == conflict(["default/api6", "default/web6"]))
        // Without the option, the Ethernet source.
        #expect(handle(&r, advertisement(tlla: .none)) == conflict(["default/api6", "default/web6"]))
        #expect(r.counters.conflicts["2001:db8::150"] == 3)
    }

    @Test func noConflictForOurMACAnotherAddressAnotherInterfaceOrOurOwnFrames() {
        var r = responder()
        #expect(handle(&r, advertisement(from: mac)) == .ignore)
        #expect(handle(&r, NDPFrame.unsolicited(vip, mac: mac)) == .ignore)
        // Our MAC in the option outweighs the Ethernet source.
        #expect(handle(&r, advertisement(tlla: .some(mac))) == .ignore)
        #expect(handle(&r, advertisement(target: router)) == .ignore)
        #expect(handle(&r, advertisement(), .outgoing) == .ignore)
        var limited = NDPResponder()
        _ = limited.announce(id: "x", address: vip, interfaces: InterfacePatterns(["eth1"]))
        #expect(handle(&limited, advertisement(), on: "eth0") == .ignore)
        #expect(handle(&limited, advertisement(), on: "eth1") == conflict(["x"]))
        #expect(r.counters.conflicts.isEmpty)
    }

    @Test func solicitationsAreStillAnswered() {
        var r = responder()
        let ns = NDPFrameTestsSupport.solicitation(target: vip, from: other, source: router)
        guard case .reply(let bytes) = handle(&r, ns) else {
            Issue.record("solicitation not answered")
            return
        }
        #expect(bytes[54] == 136 && Array(bytes[62..<78]) == vip.bytes)
    }

    /// One of the valid forms: unsolicited to all nodes with or without the target link-layer option, or solicited
    /// to the router.
    func randomAdvertisement(using random: inout SplitMix64) -> [UInt8] {
        switch Int.random(in: 0..<3, using: &random) {
        case 0: advertisement()
        case 1: advertisement(tlla: .none)
        default: advertisement(destination: router, flags: 0x60)
        }
    }

    /// Valid advertisements with random bytes changed, cut short or extended: an advertisement that parses is valid
    /// (RFC 4861 section 7.1.2: target and claimant not multicast) and, encoded again from its fields, parses to the
    /// same fields; the responder drops every frame the codec drops and counts it under the same reason.
    @Test func whatParsesReencodesToItselfAndEveryDropIsCounted() {
        checkEveryRound(
            NDPResponder.self, announcing: vip, seed: 0x86DD_0136,
            test: "NDPConflictTests.whatParsesReencodesToItselfAndEveryDropIsCounted", packetType: .multicast, mac: mac,
            frame: { round, random in
                var bytes = randomAdvertisement(using: &random)
                bytes.mutate(round: round, using: &random)
                return bytes
            },
            check: { bytes, context in
                switch NDPFrame.parse(bytes) {
                case .advertisement(let a):
                    #expect(!a.target.isMulticast && !a.claimant.isMulticast, "\(context)")
                    let again = NDPFrame.advertisement(
                        ethernetDestination: .broadcast, mac: a.claimant, source: a.source,
                        destination: a.destination, target: a.target, flags: a.flags)
                    guard case .advertisement(let b) = NDPFrame.parse(again) else {
                        Issue.record("\(context): \(a) encoded again does not parse")
                        return .accepted
                    }
                    #expect(
                        b.source == a.source && b.destination == a.destination && b.target == a.target
                            && b.flags == a.flags && b.claimant == a.claimant, "\(context)")
                    return .accepted
                case .drop(let reason): return .dropped(reason)
                case .ignore, .solicitation: return .other
                }
            })
    }

    /// A valid advertisement with one byte changed where `parse` checks it (EtherType, IP version, payload length,
    /// next header, hop limit, addresses, or anywhere in the checksummed ICMPv6 message) is not accepted: dropped,
    /// or ignored when the change made it another ICMPv6 type.
    @Test func aChangedCheckedByteIsRejected() {
        expectOneChangedCheckedByteRejected(
            seed: 0x86DD_0002, test: "NDPConflictTests.aChangedCheckedByteIsRejected",
            frame: { randomAdvertisement(using: &$0) },
            parse: NDPFrame.parse)
    }
}

/// A multicast solicitation with a source link-layer option, for the answering check.
enum NDPFrameTestsSupport {
    static func solicitation(target: IPv6Address, from asker: MACAddress, source: IPv6Address) -> [UInt8] {
        let dst = target.solicitedNode
        var icmp: [UInt8] = [135, 0, 0, 0, 0, 0, 0, 0] + target.bytes + [1, 1] + asker.array
        let sum = icmp.withUnsafeBytes { ICMPv6Checksum.compute(source: source, destination: dst, message: $0) }
        icmp[2] = UInt8(sum >> 8)
        icmp[3] = UInt8(sum & 0xFF)
        return dst.multicastMAC.array + asker.array + [0x86, 0xDD, 0x60, 0, 0, 0, 0, UInt8(icmp.count), 58, 255]
            + source.bytes + dst.bytes + icmp
    }
}
