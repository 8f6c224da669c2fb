/// The timers and role of one BFD session, as configured (RFC 5880 section 6.8.1's local variables). Intervals are in
/// microseconds, as on the wire.
package struct BFDSettings: Sendable, Equatable {
    /// bfd.DesiredMinTxInterval once the session is Up.
    package var desiredMinTxInterval: UInt32
    /// bfd.RequiredMinRxInterval.
    package var requiredMinRxInterval: UInt32
    /// bfd.DetectMult.
    package var detectMultiplier: UInt8
    /// The passive role (section 6.1): send nothing until the remote system has been heard.
    package var passive: Bool

    /// The transmit interval while the session is not Up: at least one second (section 6.8.3).
    package static let slowInterval: UInt32 = 1_000_000

    package init(
        desiredMinTxInterval: UInt32, requiredMinRxInterval: UInt32, detectMultiplier: UInt8, passive: Bool = false
    ) {
        self.desiredMinTxInterval = desiredMinTxInterval
        self.requiredMinRxInterval = requiredMinRxInterval
        self.detectMultiplier = detectMultiplier
        self.passive = passive
    }
}

/// What the I/O layer does for a session.
package enum BFDAction: Sendable, Equatable {
    /// Send this control packet to the remote system now.
    case send(BFDControlPacket)
    /// The session changed state; `diagnostic` says why when it went down.
    case stateChanged(from: BFDState, to: BFDState, diagnostic: BFDDiagnostic)
}

/// One BFD session in asynchronous mode (RFC 5880 section 6.8), pure: packets and the current time (monotonic
/// nanoseconds) go in, actions come out; the I/O layer sends what it is told to and calls ``tick(now:)`` at
/// ``nextDeadline``.
///
/// What Herald's side does: the three-way handshake Down → Init → Up (section 6.2); a transmit interval of at least
/// one second while the session is not Up (section 6.8.3) and a Poll Sequence whenever the advertised intervals change
/// (entering and leaving Up, or new settings), with the safe side of each change applied at once and the other only
/// when the Final arrives; jitter of 75–100 % of the interval (75–90 % with a multiplier of 1, section 6.8.7); the
/// Detection Time of section 6.8.4 in Init and Up; the passive role; and the remote system's Demand mode honoured
/// (periodic packets stop while both sides are Up). Herald never asks for Demand mode itself and runs no Echo
/// function; authentication is not supported (a packet that carries it is discarded, section 6.8.6).
///
/// A packet is also sent at once on a state change, so that the handshake takes round trips rather than intervals;
/// the Final answer to a Poll is sent at once as section 6.8.7 requires.
package struct BFDSession: Sendable {
    package private(set) var state: BFDState = .down
    /// bfd.RemoteSessionState.
    package private(set) var remoteState: BFDState = .down
    /// bfd.LocalDiag.
    package private(set) var diagnostic: BFDDiagnostic = .none
    /// bfd.LocalDiscr: chosen by the I/O layer, non-zero and unique among its sessions.
    package let localDiscriminator: UInt32
    /// bfd.RemoteDiscr: zero until the remote system is heard, and again after a Detection Time without it.
    package private(set) var remoteDiscriminator: UInt32 = 0
    package private(set) var settings: BFDSettings
    /// bfd.RemoteMinRxInterval: one microsecond until the remote system says otherwise (section 6.8.1).
    package private(set) var remoteMinRxInterval: UInt32 = 1
    /// The remote system's Desired Min TX Interval and Detect Mult, from its last packet.
    package private(set) var remoteDesiredMinTxInterval: UInt32 = 0
    package private(set) var remoteDetectMultiplier: UInt8 = 0
    /// bfd.RemoteDemandMode.
    package private(set) var remoteDemand = false
    /// A Poll Sequence is in progress: periodic packets carry the Poll bit until a Final arrives.
    package private(set) var polling = false

    /// The transmit interval and receive interval the timers use now; they trail the advertised values while a Poll
    /// Sequence that changes them to the unsafe side is in progress (section 6.8.3).
    package private(set) var transmitIntervalInUse: UInt32
    package private(set) var receiveIntervalInUse: UInt32
    /// The values carried by the last packet sent with the Poll bit, which a Final confirms.
    private var polledValues: (tx: UInt32, rx: UInt32)?

    /// When the next periodic packet is due, and when the session goes down without news (nanoseconds).
    package private(set) var nextTransmit: UInt64?
    package private(set) var detectionDeadline: UInt64?
    private var random: UInt64

    package init(localDiscriminator: UInt32, settings: BFDSettings, seed: UInt64) {
        precondition(localDiscriminator != 0, "a BFD local discriminator is non-zero")
        self.localDiscriminator = localDiscriminator
        self.settings = settings
        self.random = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
        transmitIntervalInUse = max(settings.desiredMinTxInterval, BFDSettings.slowInterval)
        receiveIntervalInUse = settings.requiredMinRxInterval
    }

    /// The Desired Min TX Interval this side advertises: the configured one while Up, at least a second otherwise.
    package var advertisedTransmitInterval: UInt32 {
        state == .up ? settings.desiredMinTxInterval : max(settings.desiredMinTxInterval, BFDSettings.slowInterval)
    }

    /// The Detection Time (section 6.8.4, asynchronous mode) in microseconds: the remote Detect Mult times the larger
    /// of the receive interval in use and the remote system's last Desired Min TX Interval.
    package var detectionTime: UInt64 {
        UInt64(remoteDetectMultiplier) * UInt64(max(receiveIntervalInUse, remoteDesiredMinTxInterval))
    }

    /// The interval between periodic packets before jitter, in microseconds: never faster than the remote system
    /// asks for.
    package var transmitInterval: UInt32 { max(transmitIntervalInUse, remoteMinRxInterval) }

    /// The earliest time ``tick(now:)`` has something to do.
    package var nextDeadline: UInt64? {
        switch (nextTransmit, detectionDeadline) {
        case (let a?, let b?): min(a, b)
        case (let a?, nil): a
        case (nil, let b): b
        }
    }

    /// Whether periodic packets may be sent (section 6.8.7): not while the remote system asks for none, not in the
    /// passive role before it is heard, and not while it is in Demand mode with both sides Up.
    private var mayTransmit: Bool {
        if remoteMinRxInterval == 0 { return false }
        if settings.passive, remoteDiscriminator == 0 { return false }
        if remoteDemand, state == .up, remoteState == .up { return false }
        return true
    }

    /// Starts transmitting (the first packet at once, unless passive).
    package mutating func start(now: UInt64) -> [BFDAction] {
        nextTransmit = now
        return tick(now: now)
    }

    /// Handles the timers due at `now`: the Detection Time passing in Init or Up brings the session down; a due
    /// periodic packet is sent.
    package mutating func tick(now: UInt64) -> [BFDAction] {
        var actions: [BFDAction] = []
        if let deadline = detectionDeadline, deadline <= now {
            detectionDeadline = nil
            if state == .initializing || state == .up {
                remoteDiscriminator = 0
                remoteState = .down
                remoteDemand = false
                actions += change(to: .down, diagnostic: .controlDetectionTimeExpired, now: now)
            }
        }
        if let due = nextTransmit, due <= now {
            if mayTransmit { actions.append(.send(packet(final: false))) }
            nextTransmit = now + jittered(transmitInterval)
        }
        return actions
    }

    /// Handles a control packet that passed ``BFDControlPacket/decode(_:)`` and was selected for this session
    /// (section 6.8.6 from "If the Your Discriminator field is nonzero").
    package mutating func receive(_ p: BFDControlPacket, now: UInt64) -> [BFDAction] {
        if p.yourDiscriminator != 0, p.yourDiscriminator != localDiscriminator { return [] }
        var actions: [BFDAction] = []
        let wasSilent = !mayTransmit
        remoteDiscriminator = p.myDiscriminator
        remoteState = p.state
        remoteDemand = p.demand
        remoteMinRxInterval = p.requiredMinRxInterval
        remoteDesiredMinTxInterval = p.desiredMinTxInterval
        remoteDetectMultiplier = p.detectMultiplier
        if p.final, polling { endPoll() }
        // A remote system that now lets us send sooner than the next due packet gets the next one sooner.
        let interval = UInt64(transmitInterval) * 1000
        if mayTransmit, wasSilent || (nextTransmit ?? .max) > now + interval {
            nextTransmit = now + jittered(transmitInterval)
        }
        if state == .adminDown { return [] }
        if p.state == .adminDown {
            if state != .down { actions += change(to: .down, diagnostic: .neighborSignaledSessionDown, now: now) }
        } else {
            switch (state, p.state) {
            case (.down, .down): actions += change(to: .initializing, diagnostic: .none, now: now)
            case (.down, .initializing), (.initializing, .initializing), (.initializing, .up):
                actions += change(to: .up, diagnostic: .none, now: now)
            case (.up, .down): actions += change(to: .down, diagnostic: .neighborSignaledSessionDown, now: now)
            default: break
            }
        }
        if state == .initializing || state == .up {
            detectionDeadline = now + detectionTime * 1000
        } else {
            detectionDeadline = nil
        }
        if p.poll {
            actions.append(.send(packet(final: true)))
        }
        return actions
    }

    /// New settings (a reload): a Poll Sequence tells the remote system when the advertised intervals change.
    package mutating func update(_ new: BFDSettings, now: UInt64) -> [BFDAction] {
        guard new != settings else { return [] }
        let before = (advertisedTransmitInterval, settings.requiredMinRxInterval)
        settings = new
        return advertisedValuesChanged(from: before, now: now)
    }

    /// Administratively down (section 6.8.16): the session stays down and says so to the remote system until
    /// ``adminUp(now:)``.
    package mutating func adminDown(now: UInt64) -> [BFDAction] {
        guard state != .adminDown else { return [] }
        detectionDeadline = nil
        return change(to: .adminDown, diagnostic: .administrativelyDown, now: now)
    }

    package mutating func adminUp(now: UInt64) -> [BFDAction] {
        guard state == .adminDown else { return [] }
        return change(to: .down, diagnostic: .none, now: now)
    }

    // MARK: Steps

    private mutating func change(to new: BFDState, diagnostic reason: BFDDiagnostic, now: UInt64) -> [BFDAction] {
        let old = state
        let before = (advertisedTransmitInterval, settings.requiredMinRxInterval)
        state = new
        if reason != .none || new == .up { diagnostic = reason }
        var actions: [BFDAction] = [.stateChanged(from: old, to: new, diagnostic: reason)]
        if new != .up {
            // Not Up: the slow interval applies at once and no sequence is pending.
            polling = false
            polledValues = nil
            transmitIntervalInUse = advertisedTransmitInterval
            receiveIntervalInUse = settings.requiredMinRxInterval
        }
        actions += advertisedValuesChanged(from: before, now: now)
        // Tell the remote system at once, so that the handshake runs at the speed of round trips.
        if mayTransmit, !actions.contains(where: { if case .send = $0 { true } else { false } }) {
            actions.append(.send(packet(final: false)))
            nextTransmit = now + jittered(transmitInterval)
        }
        return actions
    }

    /// Applies the safe side of a change of the advertised intervals at once and starts a Poll Sequence for it
    /// (section 6.8.3).
    private mutating func advertisedValuesChanged(from before: (UInt32, UInt32), now: UInt64) -> [BFDAction] {
        let tx = advertisedTransmitInterval
        let rx = settings.requiredMinRxInterval
        guard (tx, rx) != before else { return [] }
        if state != .up || tx < transmitIntervalInUse { transmitIntervalInUse = tx }
        if state != .up || rx > receiveIntervalInUse { receiveIntervalInUse = rx }
        guard state == .up else { return [] }
        polling = true
        guard mayTransmit else { return [] }
        nextTransmit = now + jittered(transmitInterval)
        return [.send(packet(final: false))]
    }

    private mutating func endPoll() {
        guard let confirmed = polledValues else { return }
        polledValues = nil
        transmitIntervalInUse = confirmed.tx
        receiveIntervalInUse = confirmed.rx
        // Values changed again after the last polled packet: the sequence goes on for them.
        polling = confirmed.tx != advertisedTransmitInterval || confirmed.rx != settings.requiredMinRxInterval
    }

    /// The control packet this side sends now; the Poll bit while a sequence is in progress, never with Final.
    private mutating func packet(final: Bool) -> BFDControlPacket {
        let poll = polling && !final
        if poll { polledValues = (advertisedTransmitInterval, settings.requiredMinRxInterval) }
        return BFDControlPacket(
            diagnostic: diagnostic, state: state, poll: poll, final: final,
            detectMultiplier: settings.detectMultiplier, myDiscriminator: localDiscriminator,
            yourDiscriminator: remoteDiscriminator, desiredMinTxInterval: advertisedTransmitInterval,
            requiredMinRxInterval: settings.requiredMinRxInterval)
    }

    /// `interval` microseconds less a random 0–25 % (10–25 % with a multiplier of 1), in nanoseconds.
    private mutating func jittered(_ interval: UInt32) -> UInt64 {
        random ^= random << 13
        random ^= random >> 7
        random ^= random << 17
        let nanos = UInt64(interval) * 1000
        let lowest = nanos * 75 / 100
        let highest = settings.detectMultiplier == 1 ? nanos * 90 / 100 : nanos
        return lowest + (highest > lowest ? random % (highest - lowest) : 0)
    }
}
