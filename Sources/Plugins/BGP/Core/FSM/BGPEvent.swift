/// The events of the BGP finite state machine, numbered as in RFC 4271 section 8.1. Messages arrive decoded; timer
/// events are raised by `BGPFSM.tick(now:)` when their deadlines pass, or fed directly in tests.
package enum BGPEvent: Sendable, Equatable {
    /// Event 1.
    case manualStart
    /// Event 2.
    case manualStop
    /// Event 3.
    case automaticStart
    /// Event 4.
    case manualStartPassive
    /// Event 5.
    case automaticStartPassive
    /// Event 6.
    case automaticStartDampPeerOscillations
    /// Event 7.
    case automaticStartDampPeerOscillationsPassive
    /// Event 8.
    case automaticStop
    /// Event 9.
    case connectRetryTimerExpires
    /// Event 10.
    case holdTimerExpires
    /// Event 11.
    case keepaliveTimerExpires
    /// Event 12.
    case delayOpenTimerExpires
    /// Event 13.
    case idleHoldTimerExpires
    /// Event 14: a peer's connection request is valid (source address and port match the peer).
    case tcpConnectionValid
    /// Event 15: a connection request from an unknown source.
    case tcpCRInvalid
    /// Event 16: our outgoing connection completed.
    case tcpCRAcked
    /// Event 17: an incoming connection completed.
    case tcpConnectionConfirmed
    /// Event 18.
    case tcpConnectionFails
    /// Event 19.
    case bgpOpen(BGPOpen)
    /// Event 20: an OPEN while the DelayOpenTimer runs.
    case bgpOpenWithDelayOpenTimerRunning(BGPOpen)
    /// Event 21.
    case bgpHeaderErr(BGPDecodeError)
    /// Event 22.
    case bgpOpenMsgErr(BGPDecodeError)
    /// Event 23.
    case openCollisionDump
    /// Event 24: a NOTIFICATION reporting an unsupported version.
    case notifMsgVerErr(BGPNotification)
    /// Event 25.
    case notifMsg(BGPNotification)
    /// Event 26.
    case keepAliveMsg
    /// Event 27.
    case updateMsg(BGPUpdate)
    /// Event 28.
    case updateMsgErr(BGPDecodeError)

    /// The event number RFC 4271 section 8.1 gives.
    package var number: Int {
        switch self {
        case .manualStart: 1
        case .manualStop: 2
        case .automaticStart: 3
        case .manualStartPassive: 4
        case .automaticStartPassive: 5
        case .automaticStartDampPeerOscillations: 6
        case .automaticStartDampPeerOscillationsPassive: 7
        case .automaticStop: 8
        case .connectRetryTimerExpires: 9
        case .holdTimerExpires: 10
        case .keepaliveTimerExpires: 11
        case .delayOpenTimerExpires: 12
        case .idleHoldTimerExpires: 13
        case .tcpConnectionValid: 14
        case .tcpCRInvalid: 15
        case .tcpCRAcked: 16
        case .tcpConnectionConfirmed: 17
        case .tcpConnectionFails: 18
        case .bgpOpen: 19
        case .bgpOpenWithDelayOpenTimerRunning: 20
        case .bgpHeaderErr: 21
        case .bgpOpenMsgErr: 22
        case .openCollisionDump: 23
        case .notifMsgVerErr: 24
        case .notifMsg: 25
        case .keepAliveMsg: 26
        case .updateMsg: 27
        case .updateMsgErr: 28
        }
    }

    /// The event a received message raises (RFC 4271 section 8.1.5). A NOTIFICATION of an unsupported version
    /// (OPEN Message Error, subcode 1) is event 24, any other event 25.
    package static func received(_ message: BGPMessage) -> BGPEvent? {
        switch message {
        case .open(let open): return .bgpOpen(open)
        case .update(let update): return .updateMsg(update)
        case .notification(let n) where n.code == BGPNotification.Code.openMessage && n.subcode == 1:
            return .notifMsgVerErr(n)
        case .notification(let n): return .notifMsg(n)
        case .keepalive: return .keepAliveMsg
        // ROUTE-REFRESH is no FSM event (RFC 2918); the session answers it by re-sending its routes.
        case .routeRefresh: return nil
        }
    }

    /// The event a decode error raises: errors in the header (or its length checks) are event 21, in an OPEN 22, in
    /// an UPDATE 28 (RFC 4271 section 8.1.5).
    package static func decodeFailed(_ error: BGPDecodeError, messageType: UInt8?) -> BGPEvent {
        switch messageType {
        case BGPMessage.TypeCode.open: .bgpOpenMsgErr(error)
        case BGPMessage.TypeCode.update: .updateMsgErr(error)
        default: .bgpHeaderErr(error)
        }
    }
}
