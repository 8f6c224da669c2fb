import HeraldL2
import Testing

/// The pure conflict decision: another station claiming an address we announce, in any ARP frame it sends.
struct ConflictTests {
    let mac = MACAddress(0x02, 0, 0, 0, 0, 0x0A)
    let other = MACAddress(0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE)
    let vip = IPv4Address([198, 51, 100, 130])!
    let vip2 = IPv4Address([198, 51, 100, 131])!
    let router = IPv4Address([198, 51, 100, 1])!

    func frame(
        _ operation: ARPFrame.Operation, from hardware: MACAddress, sender: IPv4Address, target: IPv4Address,
        targetHardware: MACAddress = .zero
    ) -> [UInt8] {
        ARPFrame(
            ethernetDestination: .broadcast, ethernetSource: hardware, operation: operation,
            senderHardware: hardware, senderAddress: sender, targetHardware: targetHardware, targetAddress: target
        ).encoded()
    }

    func handle(
        _ r: inout ARPResponder, _ bytes: [UInt8], _ type: PacketType = .broadcast, on name: String = "eth0"
    ) -> L2Action {
        bytes.withUnsafeBytes { r.handle($0, packetType: type, interface: name, mac: mac) }
    }

    func responder() -> ARPResponder {
        var r = ARPResponder()
        _ = r.announce(id: "default/web", address: vip, interfaces: nil)
        _ = r.announce(id: "default/api", address: vip, interfaces: nil)
        _ = r.announce(id: "default/other", address: vip2, interfaces: nil)
        return r
    }

    var expected: L2Conflict {
        L2Conflict(address: "198.51.100.130", announcementIDs: ["default/api", "default/web"], otherMAC: other)
    }

    @Test func gratuitousRequestFromAnotherMACIsAConflictAndGetsNoAnswer() {
        var r = responder()
        let action = handle(&r, frame(.request, from: other, sender: vip, target: vip))
        #expect(action == .conflict(expected, reply: nil))
        #expect(r.counters.conflicts["198.51.100.130"] == 1)
        #expect(r.counters.replies.isEmpty)
    }

    @Test func gratuitousReplyFromAnotherMACIsAConflict() {
        var r = responder()
        let bytes = frame(.reply, from: other, sender: vip, target: vip, targetHardware: other)
        #expect(handle(&r, bytes) == .conflict(expected, reply: nil))
        // Unicast to another station (seen on a flooding link) still shows the other claim.
        #expect(
            handle(&r, frame(.reply, from: other, sender: vip, target: router), .otherHost)
                == .conflict(expected, reply: nil))
        #expect(r.counters.conflicts["198.51.100.130"] == 2)
    }

    @Test func requestFromAnotherMACClaimingOurAddressIsAConflictAndItsQuestionIsStillAnswered() {
        var r = responder()
        // Sender claims 198.51.100.130 and asks for 198.51.100.131, also ours: both a conflict and an answer.
        let action = handle(&r, frame(.request, from: other, sender: vip, target: vip2))
        guard case .conflict(let conflict, let reply?) = action else {
            Issue.record("expected a conflict with a reply, got \(action)")
            return
        }
        #expect(conflict == expected)
        guard case .frame(let answer) = ARPFrame.parse(reply) else {
            Issue.record("unparsable reply")
            return
        }
        #expect(answer.operation == .reply && answer.senderAddress == vip2 && answer.senderHardware == mac)
        #expect(answer.targetHardware == other)
        #expect(r.counters.replies["198.51.100.131"] == 1)
        // A request for an address we do not announce, from a station claiming ours: a conflict, no answer.
        let unknown = handle(&r, frame(.request, from: other, sender: vip, target: router))
        #expect(unknown == .conflict(expected, reply: nil))
    }

    @Test func ourOwnMACIsNoConflict() {
        var r = responder()
        #expect(handle(&r, frame(.request, from: mac, sender: vip, target: vip)) == .ignore)
        #expect(handle(&r, frame(.reply, from: mac, sender: vip, target: vip, targetHardware: mac)) == .ignore)
        #expect(r.counters.conflicts.isEmpty)
    }

    @Test func anAddressNotAnnouncedIsNoConflict() {
        var r = responder()
        let stranger = IPv4Address([198, 51, 100, 99])!
        #expect(handle(&r, frame(.request, from: other, sender: stranger, target: stranger)) == .ignore)
        #expect(handle(&r, frame(.reply, from: other, sender: router, target: stranger)) == .ignore)
        // Nor one that was withdrawn.
        _ = r.withdraw(id: "default/other")
        #expect(handle(&r, frame(.request, from: other, sender: vip2, target: vip2)) == .ignore)
        // An ARP probe (RFC 5227: sender 0.0.0.0) for our address is answered, not reported.
        let probe = handle(&r, frame(.request, from: other, sender: IPv4Address([0, 0, 0, 0])!, target: vip))
        guard case .reply = probe else {
            Issue.record("probe not answered: \(probe)")
            return
        }
        #expect(r.counters.conflicts.isEmpty)
    }

    @Test func anAddressAnnouncedOnAnotherInterfaceIsNoConflictThere() {
        var r = ARPResponder()
        _ = r.announce(id: "a", address: vip, interfaces: InterfacePatterns(["eth1"]))
        _ = r.announce(id: "b", address: vip, interfaces: InterfacePatterns(["eth*"]))
        let claim = frame(.request, from: other, sender: vip, target: vip)
        #expect(handle(&r, claim, on: "bond0") == .ignore)
        // On eth0 only "b" covers it; on eth1 both do.
        #expect(
            handle(&r, claim, on: "eth0")
                == .conflict(L2Conflict(address: "198.51.100.130", announcementIDs: ["b"], otherMAC: other), reply: nil)
        )
        #expect(
            handle(&r, claim, on: "eth1")
                == .conflict(
                    L2Conflict(address: "198.51.100.130", announcementIDs: ["a", "b"], otherMAC: other), reply: nil))
    }

    @Test func outgoingFramesAreNoConflict() {
        var r = responder()
        #expect(handle(&r, frame(.request, from: other, sender: vip, target: vip), .outgoing) == .ignore)
        #expect(handle(&r, frame(.reply, from: other, sender: vip, target: router), .outgoing) == .ignore)
        #expect(r.counters.conflicts.isEmpty)
    }

    @Test func answeringIsUnchanged() {
        var r = responder()
        let request = frame(.request, from: other, sender: router, target: vip)
        guard case .reply(let bytes) = handle(&r, request) else {
            Issue.record("request for our address not answered")
            return
        }
        guard case .frame(let asked) = ARPFrame.parse(request) else { return }
        #expect(ARPFrame.parse(bytes) == .frame(ARPFrame.reply(to: asked, from: mac)))
        #expect(handle(&r, request, .otherHost) == .ignore)
        #expect(handle(&r, request, .outgoing) == .ignore)
        #expect(handle(&r, frame(.reply, from: other, sender: router, target: vip)) == .ignore)
        #expect(r.counters.requests["198.51.100.130"] == 1 && r.counters.replies["198.51.100.130"] == 1)
        #expect(r.counters.conflicts.isEmpty)
    }

    @Test func limiterAdmitsOneReportPerAddressPerWindow() {
        var limiter = ConflictLimiter(window: 30_000_000_000)
        let t0: UInt64 = 5_000_000_000
        let steps: [(String, UInt64, Bool)] = [
            ("198.51.100.130", t0, true), ("198.51.100.130", t0 + 1, false),
            ("198.51.100.131", t0 + 1, true),  // another address has its own window
            ("198.51.100.130", t0 + 29_999_999_999, false), ("198.51.100.130", t0 + 30_000_000_000, true),
            ("198.51.100.130", t0 + 30_000_000_001, false),
        ]
        let admitted = steps.map { limiter.admit($0.0, now: $0.1) }
        #expect(admitted == steps.map(\.2))
    }

    @Test func limiterForgetsExpiredAddressesInsteadOfGrowing() {
        var limiter = ConflictLimiter(window: 1_000)
        var admitted = 0
        for i in 0..<1_000 where limiter.admit("a\(i)", now: UInt64(i) * 1_000) { admitted += 1 }
        #expect(admitted == 1_000)
        #expect(limiter.last.count <= 257)
    }
}

extension ConflictTests {
    @Test func anotherInterfaceOfThisNodeIsNoConflict() {
        var r = responder()
        let eth1 = MACAddress(0x02, 0, 0, 0, 0, 0x0B)
        r.localMACs = [mac, eth1]
        // The node's eth1 on the same segment announces the address too: ours, not another station's.
        #expect(handle(&r, frame(.request, from: eth1, sender: vip, target: vip)) == .ignore)
        #expect(handle(&r, frame(.request, from: other, sender: vip, target: vip)) == .conflict(expected, reply: nil))
        var ndp = NDPResponder()
        let vip6 = IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x150)
        _ = ndp.announce(id: "v6", address: vip6, interfaces: nil)
        ndp.localMACs = [mac, eth1]
        let ours = NDPFrame.unsolicited(vip6, mac: eth1)
        #expect(ours.withUnsafeBytes { ndp.handle($0, packetType: .multicast, interface: "eth0", mac: mac) } == .ignore)
        let theirs = NDPFrame.unsolicited(vip6, mac: other)
        let action = theirs.withUnsafeBytes { ndp.handle($0, packetType: .multicast, interface: "eth0", mac: mac) }
        #expect(
            action
                == .conflict(L2Conflict(address: "2001:db8::150", announcementIDs: ["v6"], otherMAC: other), reply: nil)
        )
    }
}

/// Spoofed claims and churn: a frame naming a sender other than the station that sent it is dropped; a claimant
/// cycling MACs gets no more warnings; per-address counters and the limiter follow the announced addresses.
extension ConflictTests {
    /// An ARP frame whose Ethernet source differs from its sender hardware address.
    func spoofed(
        _ operation: ARPFrame.Operation, ethernetSource: MACAddress, sender hardware: MACAddress,
        address: IPv4Address, target: IPv4Address
    ) -> [UInt8] {
        ARPFrame(
            ethernetDestination: .broadcast, ethernetSource: ethernetSource, operation: operation,
            senderHardware: hardware, senderAddress: address, targetHardware: .zero, targetAddress: target
        ).encoded()
    }

    @Test func anARPSenderOtherThanTheEthernetSourceIsDroppedBeforeConflictOrAnswer() {
        var r = responder()
        let relay = MACAddress(0x02, 0x11, 0x22, 0x33, 0x44, 0x55)
        // A claim of our address whose packet names another MAC than the frame's source: no conflict.
        let claim = spoofed(.request, ethernetSource: relay, sender: other, address: vip, target: vip)
        #expect(ARPFrame.parse(claim) == .drop(.senderMismatch))
        #expect(handle(&r, claim) == .drop(.senderMismatch))
        // A question for our address the same way: no answer (it would go to a MAC that did not ask).
        let question = spoofed(.request, ethernetSource: relay, sender: other, address: router, target: vip)
        #expect(handle(&r, question) == .drop(.senderMismatch))
        #expect(r.counters.drops[.senderMismatch] == 2)
        #expect(r.counters.conflicts.isEmpty && r.counters.replies.isEmpty && r.counters.requests.isEmpty)
        #expect(L2DropReason.senderMismatch.rawValue == "sender_mismatch")
    }

    @Test func aClaimantCyclingMACsGetsOneWarningPerAddressPerWindow() {
        var r = responder()
        var limiter = ConflictLimiter(window: 30_000_000_000)
        var warnings: [String] = []
        let t0: UInt64 = 1_000_000_000
        for i in 0..<200 {
            let claimant = MACAddress(0x02, 0xAA, 0, 0, UInt8(i >> 8), UInt8(i & 0xFF))
            let address = i % 2 == 0 ? vip : vip2
            let action = handle(&r, frame(.request, from: claimant, sender: address, target: address))
            guard case .conflict(let conflict, _) = action else {
                Issue.record("frame \(i) not a conflict: \(action)")
                continue
            }
            #expect(conflict.otherMAC == claimant)
            if limiter.admit(conflict.address, now: t0 + UInt64(i) * 1_000_000) { warnings.append(conflict.address) }
        }
        // Every frame is counted, but each address is reported once in the window whatever MAC claims it.
        #expect(r.counters.conflicts["198.51.100.130"] == 100 && r.counters.conflicts["198.51.100.131"] == 100)
        #expect(warnings == ["198.51.100.130", "198.51.100.131"])
        #expect(limiter.last.count == 2)
    }

    @Test func theLimiterKeepsOnlyAnnouncedAddresses() {
        var r = responder()
        var limiter = ConflictLimiter(window: 30_000_000_000)
        let first = [limiter.admit("198.51.100.130", now: 1), limiter.admit("198.51.100.131", now: 1)]
        #expect(first == [true, true])
        _ = r.withdraw(id: "default/other")
        let live = Set(r.announced.addresses.map(\.description))
        limiter.retain { live.contains($0) }
        #expect(Set(limiter.last.keys) == ["198.51.100.130"])
        // Still rate-limited: retaining does not reopen the window of an address still announced.
        let again = limiter.admit("198.51.100.130", now: 2)
        #expect(!again)
    }

    @Test func perAddressCountersEndWhenTheAddressIsWithdrawn() {
        var r = responder()
        _ = handle(&r, frame(.request, from: other, sender: router, target: vip))
        _ = handle(&r, frame(.request, from: other, sender: router, target: vip2))
        _ = handle(&r, frame(.request, from: other, sender: vip, target: vip))
        r.recordGratuitous(vip, count: 2)
        r.recordGratuitous(vip2, count: 2)
        #expect(r.counters.requests.keys.sorted() == ["198.51.100.130", "198.51.100.131"])
        #expect(r.counters.conflicts["198.51.100.130"] == 1 && r.counters.gratuitous["198.51.100.130"] == 2)
        // One of two ids of vip withdrawn: vip is still announced, its counters stay.
        _ = r.withdraw(id: "default/web")
        #expect(r.counters.requests["198.51.100.130"] == 2 && r.counters.gratuitous["198.51.100.130"] == 2)
        // The last one: every series of vip ends.
        _ = r.withdraw(id: "default/api")
        for series in [r.counters.requests, r.counters.replies, r.counters.gratuitous, r.counters.conflicts] {
            #expect(series["198.51.100.130"] == nil)
        }
        #expect(r.counters.requests["198.51.100.131"] == 1)
        // A gratuitous round that was in flight at the withdrawal does not bring the series back.
        r.recordGratuitous(vip, count: 2)
        #expect(r.counters.gratuitous["198.51.100.130"] == nil)
        // An id moved to another address ends the old address's series.
        _ = r.announce(id: "default/other", address: vip, interfaces: nil)
        #expect(r.counters.requests["198.51.100.131"] == nil && r.counters.gratuitous["198.51.100.131"] == nil)
        // Churn leaves nothing behind.
        for i in 0..<1_000 {
            let address = IPv4Address([10, 0, UInt8(i >> 8), UInt8(i & 0xFF)])!
            _ = r.announce(id: "churn", address: address, interfaces: nil)
            _ = handle(&r, frame(.request, from: other, sender: router, target: address))
            r.recordGratuitous(address, count: 1)
        }
        _ = r.withdraw(id: "churn")
        #expect(r.counters.requests.count == 0 && r.counters.replies.count == 0)
        #expect(r.counters.gratuitous.count == 0)
    }

    @Test func ndpCountersEndWhenTheAddressIsWithdrawn() {
        var ndp = NDPResponder()
        let vip6 = IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x150)
        _ = ndp.announce(id: "v6", address: vip6, interfaces: nil)
        ndp.recordGratuitous(vip6, count: 3)
        #expect(ndp.counters.gratuitous["2001:db8::150"] == 3)
        _ = ndp.withdraw(id: "v6")
        #expect(ndp.counters.gratuitous.isEmpty)
        ndp.recordGratuitous(vip6, count: 3)
        #expect(ndp.counters.gratuitous.isEmpty)
    }
}
