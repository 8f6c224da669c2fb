/// The BGP finite state machine of RFC 4271 section 8, pure: events and the current time (monotonic nanoseconds)
/// go in, actions come out. No sockets, no clocks; the I/O layer performs the actions and feeds back what happened.
///
/// Optional session attributes (section 8.1.1): DampPeerOscillations is always on, as an IdleHoldTimer that doubles
/// with each consecutive failure (from `retryBase` up to `retryMax`) and restarts the session automatically;
/// DelayOpen, SendNOTIFICATIONwithoutOPEN and CollisionDetectEstablishedState are off; the ConnectRetryTimer uses
/// the same backoff. A second TCP connection is the I/O layer's to refuse (see `BGPSpeaker` in the plugin).
package struct BGPFSM: Sendable {
    package internal(set) var state: BGPState = .idle
    package let settings: BGPSessionSettings
    /// What was negotiated, from OpenConfirm on.
    package internal(set) var negotiated: BGPNegotiated?
    /// RFC 4271 section 8: ConnectRetryCounter.
    package internal(set) var connectRetryCounter = 0
    /// Failures since the last time the session was Established; sets the backoff.
    package internal(set) var consecutiveFailures = 0
    /// Times the session left Established.
    package internal(set) var flaps = 0

    /// Timer deadlines in monotonic nanoseconds; nil when stopped.
    package internal(set) var connectRetryDeadline: UInt64?
    package internal(set) var holdDeadline: UInt64?
    package internal(set) var keepaliveDeadline: UInt64?
    package internal(set) var idleHoldDeadline: UInt64?
    /// A manual stop turns off the automatic restart until the next manual start.
    private var stopped = true

    /// The hold time used while waiting for the peer's OPEN (RFC 4271 section 8.2.2 suggests 4 minutes).
    static let largeHoldTime: UInt64 = 240_000_000_000

    package init(settings: BGPSessionSettings) {
        self.settings = settings
    }

    /// The earliest timer deadline, for the I/O layer's poll timeout.
    package var nextDeadline: UInt64? {
        [connectRetryDeadline, holdDeadline, keepaliveDeadline, idleHoldDeadline].compactMap { $0 }.min()
    }

    /// The current retry delay: `retryBase` after the first failure, doubled per further consecutive failure, capped
    /// at `retryMax`.
    package var retryDelay: UInt64 {
        let shift = min(max(consecutiveFailures - 1, 0), 30)
        let (delay, overflow) = settings.retryBase.multipliedReportingOverflow(by: UInt64(1) << UInt64(shift))
        return overflow ? settings.retryMax : min(delay, settings.retryMax)
    }

    /// Raises the timer events whose deadlines have passed, in deadline order, and returns their actions.
    package mutating func tick(now: UInt64) -> [BGPAction] {
        var actions: [BGPAction] = []
        while true {
            let due: [(UInt64?, BGPEvent)] = [
                (connectRetryDeadline, .connectRetryTimerExpires), (holdDeadline, .holdTimerExpires),
                (keepaliveDeadline, .keepaliveTimerExpires), (idleHoldDeadline, .idleHoldTimerExpires),
            ]
            let expired = due.compactMap { pair in pair.0.map { ($0, pair.1) } }.filter { $0.0 <= now }
            guard let event = expired.min(by: { $0.0 < $1.0 })?.1 else { return actions }
            switch event {
            case .connectRetryTimerExpires: connectRetryDeadline = nil
            case .holdTimerExpires: holdDeadline = nil
            case .keepaliveTimerExpires: keepaliveDeadline = nil
            default: idleHoldDeadline = nil
            }
            actions += handle(event, now: now)
        }
    }

    /// Handles one event in the current state (RFC 4271 section 8.2.2) and returns what to do.
    package mutating func handle(_ event: BGPEvent, now: UInt64) -> [BGPAction] {
        switch state {
        case .idle: return idle(event, now: now)
        case .connect, .active: return connecting(event, now: now)
        case .openSent: return openSent(event, now: now)
        case .openConfirm: return openConfirm(event, now: now)
        case .established: return established(event, now: now)
        }
    }

    // MARK: Shared steps

    mutating func startConnectRetryTimer(_ now: UInt64) { connectRetryDeadline = now + retryDelay }

    mutating func stopTimers() {
        connectRetryDeadline = nil
        holdDeadline = nil
        keepaliveDeadline = nil
    }

    /// Restarts the hold timer with the negotiated value (no timer when it is 0).
    mutating func restartHoldTimer(_ now: UInt64) {
        guard let negotiated, negotiated.holdTime > 0 else {
            holdDeadline = nil
            return
        }
        holdDeadline = now + UInt64(negotiated.holdTime) * 1_000_000_000
    }

    mutating func restartKeepaliveTimer(_ now: UInt64) {
        guard let negotiated, negotiated.keepaliveTime > 0 else {
            keepaliveDeadline = nil
            return
        }
        keepaliveDeadline = now + UInt64(negotiated.keepaliveTime) * 1_000_000_000
    }

    /// Sends OPEN and waits for the peer's with a large hold time (RFC 4271 section 8.2.2, Connect state).
    mutating func sendOpen(_ now: UInt64) -> [BGPAction] {
        connectRetryDeadline = nil
        holdDeadline = now + Self.largeHoldTime
        state = .openSent
        return [.send(.open(settings.open))]
    }

    /// Goes to Idle: stops timers, drops the connection, counts the failure, and (unless stopped by hand) schedules
    /// the automatic restart after the backoff delay. `notify` is sent first when given.
    mutating func fail(
        _ now: UInt64, notify notification: BGPNotification? = nil, reason: String, countRetry: Bool = true
    ) -> [BGPAction] {
        var actions: [BGPAction] = []
        if let notification { actions.append(.send(.notification(notification))) }
        actions.append(.disconnect)
        if state == .established {
            flaps += 1
            actions.append(.sessionDown(reason))
        }
        stopTimers()
        if countRetry { connectRetryCounter += 1 }
        consecutiveFailures += 1
        negotiated = nil
        state = .idle
        if !stopped { idleHoldDeadline = now + retryDelay }
        return actions
    }

    /// A manual or automatic stop: Cease, drop, Idle; a manual stop also resets the counter and ends restarts.
    mutating func stop(_ now: UInt64, manual: Bool, sendCease: Bool) -> [BGPAction] {
        if manual {
            stopped = true
            idleHoldDeadline = nil
        }
        let cease = BGPNotification.cease(
            BGPNotification.CeaseSubcode.administrativeShutdown, message: "administrative shutdown")
        var actions = fail(now, notify: sendCease ? cease : nil, reason: "stopped", countRetry: !manual)
        if manual {
            connectRetryCounter = 0
            consecutiveFailures = 0
            idleHoldDeadline = nil
            actions = actions.map { action in
                if case .sessionDown = action { return .sessionDown("stopped") }
                return action
            }
        }
        return actions
    }

    /// The I/O layer could not queue a message: the peer stopped reading and the output buffer toward it reached its
    /// bound (`BGPOutputBuffer`). The session ends as after a failure (Cease, Out of Resources, RFC 4486; drop; Idle)
    /// and restarts automatically after the backoff. Nothing to do in Idle.
    package mutating func outputOverflowed(now: UInt64, limit: Int) -> [BGPAction] {
        guard state != .idle else { return [] }
        return fail(
            now, notify: .cease(BGPNotification.CeaseSubcode.outOfResources),
            reason: "the peer stopped reading: more than \(limit) bytes waited to be sent")
    }

    /// BFD found the path to the peer down (RFC 5882 section 4.3): the session ends at once rather than at the end of
    /// the hold time (Cease, BFD Down, RFC 9384; drop; Idle) and restarts automatically after the backoff. Nothing to
    /// do in Idle.
    package mutating func bfdDown(now: UInt64, diagnostic: String) -> [BGPAction] {
        guard state != .idle else { return [] }
        return fail(
            now, notify: .cease(BGPNotification.CeaseSubcode.bfdDown), reason: "BFD session down (\(diagnostic))")
    }

    /// Checks the peer's OPEN against the configuration (RFC 4271 section 6.2): the AS, and for iBGP a different
    /// identifier (RFC 6286 section 2.1). Returns the NOTIFICATION to send when it is unacceptable.
    func check(_ open: BGPOpen) -> BGPNotification? {
        if open.asn != settings.peerASN {
            return BGPNotification(code: BGPNotification.Code.openMessage, subcode: 2)
        }
        if settings.isInternal, open.identifier == settings.routerID {
            return BGPNotification(code: BGPNotification.Code.openMessage, subcode: 3)
        }
        return nil
    }

    /// RFC 6608: FSM Error subcodes 1-3 name the state an unexpected message arrived in.
    func fsmError() -> BGPNotification {
        let subcode: UInt8 =
            switch state {
            case .openSent: 1
            case .openConfirm: 2
            case .established: 3
            default: 0
            }
        return BGPNotification(code: BGPNotification.Code.finiteStateMachine, subcode: subcode)
    }

    mutating func markStarted() { stopped = false }
    mutating func enterEstablished(_ now: UInt64) {
        state = .established
        consecutiveFailures = 0
        restartHoldTimer(now)
    }
    mutating func setState(_ new: BGPState) { state = new }
    mutating func setNegotiated(_ value: BGPNegotiated) { negotiated = value }
}
