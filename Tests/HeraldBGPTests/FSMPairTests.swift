import HeraldBGP
import Testing

/// Two state machines talking through the codec, a byte at a time, with a simulated clock.
struct FSMPairTests {
    static func established(hold: (UInt16, UInt16) = (90, 30), ebgp: Bool = true) -> FSMPair {
        var pair = FSMPair(
            a: FSMPair.settings(asn: 64512, peer: ebgp ? 64513 : 64512, id: 0x0A00_0001, hold: hold.0),
            b: FSMPair.settings(asn: ebgp ? 64513 : 64512, peer: 64512, id: 0x0A00_0002, hold: hold.1, passive: true))
        pair.feed(1, .manualStart)
        pair.feed(0, .manualStart)
        return pair
    }

    @Test func twoSpeakersReachEstablishedAndNegotiate() {
        let pair = Self.established()
        #expect(pair.a.state == .established)
        #expect(pair.b.state == .established)
        #expect(pair.a.negotiated?.holdTime == 30)
        #expect(pair.a.negotiated?.keepaliveTime == 10)
        #expect(pair.a.negotiated?.families == [.ipv4Unicast, .ipv6Unicast])
        #expect(pair.a.negotiated?.codec.maxMessageLength == 65535, "both offered Extended Message")
        #expect(pair.a.negotiated?.peerGracefulRestart?.restartTime == 120)
        #expect(pair.log.contains { $0.side == 0 && $0.action == .established(pair.a.negotiated!) })
        // OPEN, then KEEPALIVE from each side.
        #expect(pair.sent(0).map(\.typeCode) == [1, 4])
        #expect(pair.sent(1).map(\.typeCode) == [1, 4])
    }

    @Test func keepalivesHoldTheSessionForTenMinutes() {
        var pair = Self.established()
        for _ in 0..<600 { pair.advance(seconds: 1) }
        #expect(pair.a.state == .established)
        #expect(pair.b.state == .established)
        let keepalives = pair.sent(0).filter { $0 == .keepalive }.count
        // One every 10 s (hold 30 / 3) after the first.
        #expect((59...61).contains(keepalives - 1), "\(keepalives)")
    }

    @Test func aSilentPeerExpiresTheHoldTimer() {
        var pair = Self.established()
        pair.mute[1] = true
        for _ in 0..<29 { pair.advance(seconds: 1) }
        #expect(pair.a.state == .established)
        pair.advance(seconds: 1.5)
        #expect(pair.a.state == .idle)
        #expect(pair.sent(0).last == .notification(BGPNotification(code: 4, subcode: 0)))
        #expect(pair.log.contains { $0.side == 0 && $0.action == .sessionDown("hold timer expired") })
        #expect(pair.a.flaps == 1)
    }

    @Test func theSessionComesBackByItselfAfterAFailure() {
        var pair = Self.established()
        pair.feed(0, .tcpConnectionFails)
        pair.feed(1, .tcpConnectionFails)
        #expect(pair.a.state == .idle)
        #expect(pair.b.state == .idle)
        pair.advance(seconds: 1.1)  // the first retry delay is 1 s
        #expect(pair.a.state == .established)
        #expect(pair.b.state == .established)
    }

    @Test func retriesBackOffExponentiallyUpToTheCap() {
        var pair = Self.established()
        pair.feed(1, .manualStop)
        #expect(pair.b.state == .idle)
        #expect(pair.a.state == .idle, "the Cease took the session down")
        pair.refuse = true
        var delays: [Double] = []
        var last = pair.now
        var seen = pair.log.count
        for _ in 0..<2000 {
            pair.advance(seconds: 0.25)
            if pair.log[seen...].contains(where: { $0.side == 0 && $0.action == .connect }) {
                delays.append(Double(pair.now - last) / 1e9)
                last = pair.now
            }
            seen = pair.log.count
        }
        // After the Cease failure (delay 1 s), each refused connect doubles the delay: 2, 4, 8, 16, 32, 60, 60.
        #expect(delays.prefix(8).map { $0.rounded() } == [1, 2, 4, 8, 16, 32, 60, 60])
    }

    @Test func aWrongPeerASIsRefusedWithBadPeerAS() {
        var pair = FSMPair(
            a: FSMPair.settings(asn: 64512, peer: 64999, id: 1),
            b: FSMPair.settings(asn: 64513, peer: 64512, id: 2, passive: true))
        pair.feed(1, .manualStart)
        pair.feed(0, .manualStart)
        #expect(pair.a.state == .idle)
        #expect(pair.sent(0).contains(.notification(BGPNotification(code: 2, subcode: 2))))
    }

    @Test func iBGPWithTheSameIdentifierIsRefused() {
        var pair = FSMPair(
            a: FSMPair.settings(asn: 64512, peer: 64512, id: 7),
            b: FSMPair.settings(asn: 64512, peer: 64512, id: 7, passive: true))
        pair.feed(1, .manualStart)
        pair.feed(0, .manualStart)
        #expect(pair.a.state != .established)
        #expect(pair.sent(0).contains(.notification(BGPNotification(code: 2, subcode: 3))))
    }

    @Test func aManualStopSendsCeaseAndStopsRestarting() {
        var pair = Self.established()
        pair.feed(0, .manualStop)
        guard case .notification(let cease) = pair.sent(0).last else {
            Issue.record("no NOTIFICATION")
            return
        }
        #expect(cease.code == 6 && cease.subcode == 2)
        #expect(pair.b.state == .idle)
        pair.advance(seconds: 120)
        #expect(pair.a.state == .idle, "a manual stop never restarts")
        #expect(pair.a.nextDeadline == nil)
    }

    @Test func updatesFlowOnceEstablished() {
        var pair = Self.established(ebgp: false)
        var attributes = PathAttributes()
        attributes.origin = .igp
        attributes.asPath = []
        attributes.localPreference = 200
        let prefix = BGPPrefix(address: [192, 0, 2, 10], length: 32)!
        let update = UpdatePacker.announce(
            [prefix], family: .ipv4Unicast, attributes: attributes, nextHop: [198, 51, 100, 11],
            options: pair.a.negotiated!.codec)[0]
        pair.feed(1, .tcpConnectionValid)  // ignored in Established
        var received: [BGPUpdate] = []
        // Deliver by hand through a's "send" path.
        let bytes = BGPMessage.update(update).encoded(pair.a.negotiated!.codec)
        var framer = BGPFramer(maxMessageLength: 65535)
        for byte in bytes {
            framer.append([byte])
            if let frame = try? framer.next(),
                case .update(let u)? = try? BGPMessage.decode(frame, pair.b.negotiated!.codec)
            {
                for action in pair.b.handle(.updateMsg(u), now: pair.now) {
                    if case .received(let r) = action { received.append(r) }
                }
            }
        }
        #expect(received.map(\.nlri) == [[prefix]])
        #expect(received.first?.attributes.localPreference == 200)
    }
}
