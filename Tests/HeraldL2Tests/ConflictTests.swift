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
