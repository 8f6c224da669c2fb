import HeraldBGP
import Testing

/// Every event of RFC 4271 section 8.1 in every state of section 8.2.2: the state it leads to, and the invariants
/// that hold for all of them (leaving a connected state drops the connection; leaving Established reports it).
struct FSMEventMatrixTests {
    static let local = BGPSessionSettings(
        localASN: 64512, peerASN: 64513, routerID: 0x0A00_0001, holdTime: 90, families: [.ipv4Unicast])
    static let peerOpen = BGPOpen(
        asn: 64513, holdTime: 30, identifier: 0x0A00_0002, capabilities: [.multiprotocol(.ipv4Unicast)])
    static let error = BGPDecodeError(.malformedAttributeList, "test")

    /// One instance of each of the 28 events, in order.
    static let events: [BGPEvent] = [
        .manualStart, .manualStop, .automaticStart, .manualStartPassive, .automaticStartPassive,
        .automaticStartDampPeerOscillations, .automaticStartDampPeerOscillationsPassive, .automaticStop,
        .connectRetryTimerExpires, .holdTimerExpires, .keepaliveTimerExpires, .delayOpenTimerExpires,
        .idleHoldTimerExpires, .tcpConnectionValid, .tcpCRInvalid, .tcpCRAcked, .tcpConnectionConfirmed,
        .tcpConnectionFails, .bgpOpen(peerOpen), .bgpOpenWithDelayOpenTimerRunning(peerOpen), .bgpHeaderErr(error),
        .bgpOpenMsgErr(error), .openCollisionDump, .notifMsgVerErr(BGPNotification(code: 2, subcode: 1)),
        .notifMsg(BGPNotification(code: 6, subcode: 2)), .keepAliveMsg,
        .updateMsg(BGPUpdate()), .updateMsgErr(error),
    ]

    /// A machine brought into `state` through the events that lead there.
    static func machine(in state: BGPState) -> BGPFSM {
        var fsm = BGPFSM(settings: local)
        let path: [BGPEvent] =
            switch state {
            case .idle: []
            case .connect: [.manualStart]
            case .active: [.manualStartPassive]
            case .openSent: [.manualStart, .tcpCRAcked]
            case .openConfirm: [.manualStart, .tcpCRAcked, .bgpOpen(peerOpen)]
            case .established: [.manualStart, .tcpCRAcked, .bgpOpen(peerOpen), .keepAliveMsg]
            }
        for event in path { _ = fsm.handle(event, now: 1_000) }
        return fsm
    }

    /// The state each event (by number, 1...28) leads to from each state.
    static let expected: [BGPState: [BGPState]] = {
        let i = BGPState.idle
        let c = BGPState.connect
        let a = BGPState.active
        let s = BGPState.openSent
        let o = BGPState.openConfirm
        let e = BGPState.established
        return [
            //    1  2  3  4  5  6  7  8  9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28
            .idle: [c, i, c, a, a, c, a, i, i, i, i, i, c, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i],
            .connect: [c, i, c, c, c, c, c, i, c, i, i, s, i, c, c, s, s, i, i, o, i, i, i, i, i, i, i, i],
            .active: [a, i, a, a, a, a, a, i, c, i, i, s, i, a, a, s, s, i, i, o, i, i, i, i, i, i, i, i],
            .openSent: [s, i, s, s, s, s, s, i, i, i, i, i, i, s, s, s, s, a, o, i, i, i, i, i, i, i, i, i],
            .openConfirm: [o, i, o, o, o, o, o, i, i, i, o, i, i, o, o, o, o, i, i, i, i, i, i, i, i, e, i, i],
            .established: [e, i, e, e, e, e, e, i, i, i, e, i, i, e, e, e, e, i, i, i, i, i, i, i, i, e, e, i],
        ]
    }()

    @Test(arguments: BGPState.allCases)
    func everyEventInState(_ state: BGPState) {
        for (offset, event) in Self.events.enumerated() {
            #expect(event.number == offset + 1)
            var fsm = Self.machine(in: state)
            #expect(fsm.state == state)
            let actions = fsm.handle(event, now: 2_000)
            let want = Self.expected[state]![offset]
            #expect(fsm.state == want, "event \(event.number) in \(state.rawValue) led to \(fsm.state.rawValue)")
            let connected: Set<BGPState> = [.connect, .openSent, .openConfirm, .established]
            if connected.contains(state), fsm.state == .idle {
                #expect(actions.contains(.disconnect), "event \(event.number) in \(state.rawValue) kept the connection")
            }
            let reportsDown = actions.contains { if case .sessionDown = $0 { true } else { false } }
            #expect(reportsDown == (state == .established && fsm.state != .established), "event \(event.number)")
            if state == .idle, fsm.state == .idle { #expect(actions.isEmpty, "Idle ignores event \(event.number)") }
        }
    }

    @Test func notificationsSentOnTheWayDown() {
        var fsm = Self.machine(in: .openSent)
        #expect(
            fsm.handle(.holdTimerExpires, now: 2_000).first
                == .send(.notification(BGPNotification(code: 4, subcode: 0))))
        fsm = Self.machine(in: .openSent)
        #expect(
            fsm.handle(.keepAliveMsg, now: 2_000).first == .send(.notification(BGPNotification(code: 5, subcode: 1))))
        fsm = Self.machine(in: .openConfirm)
        #expect(
            fsm.handle(.updateMsg(BGPUpdate()), now: 2_000).first
                == .send(.notification(BGPNotification(code: 5, subcode: 2))))
        fsm = Self.machine(in: .established)
        #expect(
            fsm.handle(.idleHoldTimerExpires, now: 2_000).first
                == .send(.notification(BGPNotification(code: 5, subcode: 3))))
        fsm = Self.machine(in: .established)
        #expect(
            fsm.handle(.updateMsgErr(Self.error), now: 2_000).first
                == .send(.notification(BGPNotification(code: 3, subcode: 1))))
        fsm = Self.machine(in: .established)
        #expect(fsm.handle(.keepaliveTimerExpires, now: 2_000) == [.send(.keepalive)])
    }
}
