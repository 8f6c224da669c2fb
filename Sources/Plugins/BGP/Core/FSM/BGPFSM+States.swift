extension BGPFSM {
    /// Idle (RFC 4271 section 8.2.2): start events begin a session; everything else is ignored.
    mutating func idle(_ event: BGPEvent, now: UInt64) -> [BGPAction] {
        switch event {
        case .manualStart, .manualStartPassive:
            markStarted()
            connectRetryCounter = 0
            return begin(now, passive: event == .manualStartPassive || settings.passive)
        case .automaticStart, .automaticStartDampPeerOscillations:
            markStarted()
            return begin(now, passive: settings.passive)
        case .automaticStartPassive, .automaticStartDampPeerOscillationsPassive:
            markStarted()
            return begin(now, passive: true)
        case .idleHoldTimerExpires:
            // The automatic restart that DampPeerOscillations delays.
            return begin(now, passive: settings.passive)
        default:
            return []
        }
    }

    private mutating func begin(_ now: UInt64, passive: Bool) -> [BGPAction] {
        idleHoldDeadline = nil
        startConnectRetryTimer(now)
        if passive {
            setState(.active)
            return []
        }
        setState(.connect)
        return [.connect]
    }

    /// Connect and Active (RFC 4271 section 8.2.2): waiting for a TCP connection, ours or the peer's.
    mutating func connecting(_ event: BGPEvent, now: UInt64) -> [BGPAction] {
        switch event {
        case .manualStart, .manualStartPassive, .automaticStart, .automaticStartPassive,
            .automaticStartDampPeerOscillations, .automaticStartDampPeerOscillationsPassive:
            return []
        case .manualStop:
            return stop(now, manual: true, sendCease: false)
        case .connectRetryTimerExpires:
            // Try again; a passive session keeps listening.
            startConnectRetryTimer(now)
            if settings.passive { return [] }
            setState(.connect)
            return [.disconnect, .connect]
        case .delayOpenTimerExpires, .tcpCRAcked, .tcpConnectionConfirmed:
            return sendOpen(now)
        case .tcpConnectionValid, .tcpCRInvalid:
            return []
        case .tcpConnectionFails:
            return fail(now, reason: "TCP connection failed")
        case .bgpOpenWithDelayOpenTimerRunning(let open):
            if let refusal = check(open) { return fail(now, notify: refusal, reason: "OPEN refused") }
            setNegotiated(BGPNegotiated(local: settings, peer: open))
            setState(.openConfirm)
            connectRetryDeadline = nil
            restartHoldTimer(now)
            restartKeepaliveTimer(now)
            return [.send(.open(settings.open)), .send(.keepalive)]
        case .bgpHeaderErr(let error), .bgpOpenMsgErr(let error):
            return fail(now, notify: error.notification, reason: error.detail)
        case .notifMsgVerErr:
            return fail(now, reason: "peer refused the version", countRetry: false)
        case .automaticStop, .holdTimerExpires, .keepaliveTimerExpires, .idleHoldTimerExpires, .bgpOpen,
            .openCollisionDump, .notifMsg, .keepAliveMsg, .updateMsg, .updateMsgErr:
            return fail(now, reason: "unexpected event \(event.number) in \(state.rawValue)")
        }
    }

    /// OpenSent (RFC 4271 section 8.2.2): OPEN sent, waiting for the peer's.
    mutating func openSent(_ event: BGPEvent, now: UInt64) -> [BGPAction] {
        switch event {
        case .manualStart, .manualStartPassive, .automaticStart, .automaticStartPassive,
            .automaticStartDampPeerOscillations, .automaticStartDampPeerOscillationsPassive,
            .tcpConnectionValid, .tcpCRInvalid, .tcpCRAcked, .tcpConnectionConfirmed:
            return []
        case .manualStop:
            return stop(now, manual: true, sendCease: true)
        case .automaticStop:
            return stop(now, manual: false, sendCease: true)
        case .holdTimerExpires:
            return fail(
                now, notify: BGPNotification(code: BGPNotification.Code.holdTimerExpired, subcode: 0),
                reason: "hold timer expired")
        case .tcpConnectionFails:
            // Back to Active, listening, with the ConnectRetryTimer running.
            holdDeadline = nil
            startConnectRetryTimer(now)
            setState(.active)
            return [.disconnect]
        case .bgpOpen(let open):
            if let refusal = check(open) { return fail(now, notify: refusal, reason: "OPEN refused: \(refusal)") }
            setNegotiated(BGPNegotiated(local: settings, peer: open))
            connectRetryDeadline = nil
            setState(.openConfirm)
            restartHoldTimer(now)
            restartKeepaliveTimer(now)
            return [.send(.keepalive)]
        case .bgpHeaderErr(let error), .bgpOpenMsgErr(let error):
            return fail(now, notify: error.notification, reason: error.detail)
        case .openCollisionDump:
            return fail(
                now,
                notify: .cease(BGPNotification.CeaseSubcode.connectionCollisionResolution),
                reason: "connection collision")
        case .notifMsgVerErr:
            return fail(now, reason: "peer refused the version", countRetry: false)
        case .connectRetryTimerExpires, .keepaliveTimerExpires, .delayOpenTimerExpires, .idleHoldTimerExpires,
            .bgpOpenWithDelayOpenTimerRunning, .notifMsg, .keepAliveMsg, .updateMsg, .updateMsgErr:
            if case .notifMsg(let n) = event { return fail(now, reason: "peer sent \(n)") }
            return fail(now, notify: fsmError(), reason: "unexpected event \(event.number) in OpenSent")
        }
    }

    /// OpenConfirm (RFC 4271 section 8.2.2): OPENs exchanged, waiting for the peer's KEEPALIVE.
    mutating func openConfirm(_ event: BGPEvent, now: UInt64) -> [BGPAction] {
        switch event {
        case .manualStart, .manualStartPassive, .automaticStart, .automaticStartPassive,
            .automaticStartDampPeerOscillations, .automaticStartDampPeerOscillationsPassive,
            .tcpConnectionValid, .tcpCRInvalid, .tcpCRAcked, .tcpConnectionConfirmed:
            return []
        case .manualStop:
            return stop(now, manual: true, sendCease: true)
        case .automaticStop:
            return stop(now, manual: false, sendCease: true)
        case .holdTimerExpires:
            return fail(
                now, notify: BGPNotification(code: BGPNotification.Code.holdTimerExpired, subcode: 0),
                reason: "hold timer expired")
        case .keepaliveTimerExpires:
            restartKeepaliveTimer(now)
            return [.send(.keepalive)]
        case .tcpConnectionFails:
            return fail(now, reason: "TCP connection failed")
        case .notifMsg(let n):
            return fail(now, reason: "peer sent \(n)")
        case .notifMsgVerErr:
            return fail(now, reason: "peer refused the version", countRetry: false)
        case .bgpOpen, .openCollisionDump:
            // A second OPEN on this connection: resolved as a collision, this connection is dropped (section 6.8).
            return fail(
                now,
                notify: .cease(BGPNotification.CeaseSubcode.connectionCollisionResolution),
                reason: "connection collision")
        case .bgpHeaderErr(let error), .bgpOpenMsgErr(let error):
            return fail(now, notify: error.notification, reason: error.detail)
        case .keepAliveMsg:
            enterEstablished(now)
            guard let negotiated else { return fail(now, notify: fsmError(), reason: "no negotiated parameters") }
            return [.established(negotiated)]
        case .connectRetryTimerExpires, .delayOpenTimerExpires, .idleHoldTimerExpires,
            .bgpOpenWithDelayOpenTimerRunning, .updateMsg, .updateMsgErr:
            return fail(now, notify: fsmError(), reason: "unexpected event \(event.number) in OpenConfirm")
        }
    }

    /// Established (RFC 4271 section 8.2.2): exchanging UPDATEs and KEEPALIVEs.
    mutating func established(_ event: BGPEvent, now: UInt64) -> [BGPAction] {
        switch event {
        case .manualStart, .manualStartPassive, .automaticStart, .automaticStartPassive,
            .automaticStartDampPeerOscillations, .automaticStartDampPeerOscillationsPassive,
            .tcpConnectionValid, .tcpCRInvalid, .tcpCRAcked, .tcpConnectionConfirmed:
            return []
        case .manualStop:
            return stop(now, manual: true, sendCease: true)
        case .automaticStop:
            return stop(now, manual: false, sendCease: true)
        case .holdTimerExpires:
            return fail(
                now, notify: BGPNotification(code: BGPNotification.Code.holdTimerExpired, subcode: 0),
                reason: "hold timer expired")
        case .keepaliveTimerExpires:
            restartKeepaliveTimer(now)
            return [.send(.keepalive)]
        case .openCollisionDump:
            return fail(
                now,
                notify: .cease(BGPNotification.CeaseSubcode.connectionCollisionResolution),
                reason: "connection collision")
        case .tcpConnectionFails:
            return fail(now, reason: "TCP connection closed")
        case .notifMsg(let n), .notifMsgVerErr(let n):
            return fail(now, reason: "peer sent \(n)")
        case .keepAliveMsg:
            restartHoldTimer(now)
            return []
        case .updateMsg(let update):
            restartHoldTimer(now)
            return [.received(update)]
        case .updateMsgErr(let error), .bgpHeaderErr(let error), .bgpOpenMsgErr(let error):
            // Section 6 names the NOTIFICATION for each message error; it is more precise than an FSM Error.
            return fail(now, notify: error.notification, reason: error.detail)
        case .connectRetryTimerExpires, .delayOpenTimerExpires, .idleHoldTimerExpires, .bgpOpen,
            .bgpOpenWithDelayOpenTimerRunning:
            return fail(now, notify: fsmError(), reason: "unexpected event \(event.number) in Established")
        }
    }
}
