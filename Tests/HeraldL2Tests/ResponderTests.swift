import HeraldL2
import Testing

/// The pure responders: what they answer, what they count, and their multicast bookkeeping.
struct ResponderTests {
    let mac = MACAddress(0x02, 0, 0, 0, 0, 0x0A)
    let asker = MACAddress(0x02, 0, 0, 0, 0, 0x01)
    let vip = IPv4Address([198, 51, 100, 50])!

    func arpRequest(target: IPv4Address, sender: IPv4Address = IPv4Address([198, 51, 100, 1])!) -> [UInt8] {
        ARPFrame(
            ethernetDestination: .broadcast, ethernetSource: asker, operation: .request, senderHardware: asker,
            senderAddress: sender, targetHardware: .zero, targetAddress: target
        ).encoded()
    }

    func handle(
        _ r: inout ARPResponder, _ bytes: [UInt8], _ type: PacketType = .broadcast, on name: String = "eth0"
    )
        -> L2Action
    {
        bytes.withUnsafeBytes { r.handle($0, packetType: type, interface: name, mac: mac) }
    }

    @Test func answersOnlyAnnouncedAddressesAndStopsAtOnceOnWithdraw() {
        var r = ARPResponder()
        #expect(handle(&r, arpRequest(target: vip)) == .ignore)
        _ = r.announce(id: "a", address: vip, interfaces: nil)
        guard case .reply(let bytes) = handle(&r, arpRequest(target: vip)) else {
            Issue.record("no reply")
            return
        }
        #expect(ARPFrame.parse(bytes) == .frame(ARPFrame.reply(to: request(), from: mac)))
        #expect(handle(&r, arpRequest(target: IPv4Address([198, 51, 100, 99])!)) == .ignore)
        #expect(r.counters.requests["198.51.100.50"] == 1)
        #expect(r.counters.replies["198.51.100.50"] == 1)
        _ = r.withdraw(id: "a")
        #expect(handle(&r, arpRequest(target: vip)) == .ignore)
        // The address's series end with its withdrawal.
        #expect(r.counters.requests["198.51.100.50"] == nil)
        #expect(r.counters.replies["198.51.100.50"] == nil)
        #expect(r.counters.frames == 4)
    }

    func request() -> ARPFrame {
        guard case .frame(let f) = ARPFrame.parse(arpRequest(target: vip)) else { fatalError("test frame") }
        return f
    }

    @Test func unicastToUsIsAnsweredButOtherHostsAndOurOwnFramesAreNot() {
        var r = ARPResponder()
        _ = r.announce(id: "a", address: vip, interfaces: nil)
        if case .reply = handle(&r, arpRequest(target: vip), .host) {} else { Issue.record("unicast not answered") }
        #expect(handle(&r, arpRequest(target: vip), .otherHost) == .ignore)
        #expect(handle(&r, arpRequest(target: vip), .outgoing) == .ignore)
    }

    @Test func anotherHostsGratuitousAnnouncementGetsNoAnswer() {
        var r = ARPResponder()
        _ = r.announce(id: "a", address: vip, interfaces: nil)
        // It is a conflict too (ConflictTests), but still gets no answer.
        #expect(handle(&r, arpRequest(target: vip, sender: vip)).frameToSend == nil)
    }

    @Test func sharedAddressStaysWhileAnyIdAnnouncesIt() {
        var r = ARPResponder()
        _ = r.announce(id: "a", address: vip, interfaces: nil)
        _ = r.announce(id: "b", address: vip, interfaces: nil)
        _ = r.withdraw(id: "a")
        if case .reply = handle(&r, arpRequest(target: vip)) {} else { Issue.record("withdrawn too early") }
        _ = r.withdraw(id: "b")
        #expect(handle(&r, arpRequest(target: vip)) == .ignore)
    }

    @Test func perAnnouncementInterfacesLimitAnswersAndGratuitousFrames() {
        var r = ARPResponder()
        _ = r.announce(id: "a", address: vip, interfaces: InterfacePatterns(["eth1", "bond*"]))
        #expect(handle(&r, arpRequest(target: vip), on: "eth0") == .ignore)
        if case .reply = handle(&r, arpRequest(target: vip), on: "bond0") {} else { Issue.record("bond0 not answered") }
        #expect(r.gratuitous(vip, interface: "eth0", mac: mac).isEmpty)
        #expect(r.gratuitous(vip, interface: "eth1", mac: mac).count == 2)
    }

    @Test func malformedFramesAreCountedByReason() {
        var r = ARPResponder()
        #expect(handle(&r, [1, 2, 3]) == .drop(.short))
        r.recordDrop(.vlanTagged)
        #expect(r.counters.drops[.short] == 1 && r.counters.drops[.vlanTagged] == 1)
        #expect(r.counters.totalDrops == 2)
    }

    @Test func solicitedNodeGroupsAreReferenceCounted() {
        var r = NDPResponder()
        // Two addresses with the same low 24 bits share one solicited-node group (RFC 4291 section 2.7.1).
        let a = IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x0000_0000_0000_0050)
        let b = IPv6Address(high: 0x2001_0db8_0000_0001, low: 0x0000_0000_0000_0050)
        let group = a.solicitedNode.multicastMAC
        #expect(r.announce(id: "a", address: a, interfaces: nil) == [.join(group)])
        #expect(r.announce(id: "b", address: b, interfaces: nil) == [])
        #expect(r.announce(id: "a", address: a, interfaces: nil) == [], "re-announce is idempotent")
        #expect(r.withdraw(id: "a") == [])
        #expect(r.withdraw(id: "b") == [.leave(group)])
        #expect(r.withdraw(id: "b") == [], "unknown id")
    }

    @Test func movingAnIdToAnotherAddressLeavesTheOldGroup() {
        var r = NDPResponder()
        let a = IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x50)
        let b = IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x51)
        _ = r.announce(id: "x", address: a, interfaces: nil)
        #expect(
            r.announce(id: "x", address: b, interfaces: nil)
                == [.leave(a.solicitedNode.multicastMAC), .join(b.solicitedNode.multicastMAC)])
        #expect(r.announced.addresses == [b])
    }

    @Test(arguments: [
        ("eth0", ["eth0"], true), ("eth0", ["eth*"], true), ("eth10", ["eth?"], false), ("enp3s0", ["en*s?"], true),
        ("veth1", ["eth*"], false), ("abc", ["*"], true), ("", ["*"], true), ("a", [], false),
    ])
    func globPatterns(name: String, patterns: [String], matches: Bool) {
        #expect(InterfacePatterns(patterns).matches(name) == matches)
    }
}
