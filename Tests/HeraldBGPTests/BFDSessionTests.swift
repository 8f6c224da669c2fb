import HeraldBGP
import Testing

/// The BFD session state machine (RFC 5880 section 6.8) without sockets: the reception rules of section 6.8.6 from
/// every state, the Detection Time, Poll/Final sequences, the transmit rules of section 6.8.7, and two machines wired
/// together through a simulated link.
struct BFDSessionTests {
    static let ms: UInt64 = 1_000_000
    static let fast = BFDSettings(desiredMinTxInterval: 100_000, requiredMinRxInterval: 100_000, detectMultiplier: 3)

    static func packet(
        _ state: BFDState, mine: UInt32 = 7, yours: UInt32 = 1, tx: UInt32 = 100_000, rx: UInt32 = 100_000,
        multiplier: UInt8 = 3, poll: Bool = false, final: Bool = false, demand: Bool = false
    ) -> BFDControlPacket {
        BFDControlPacket(
            state: state, poll: poll, final: final, demand: demand, detectMultiplier: multiplier,
            myDiscriminator: mine, yourDiscriminator: state == .down || state == .adminDown ? 0 : yours,
            desiredMinTxInterval: tx, requiredMinRxInterval: rx)
    }

    /// A session with discriminator 1, brought into `state` by the packets the RFC prescribes.
    static func session(in state: BFDState, settings: BFDSettings = fast) -> BFDSession {
        var s = BFDSession(localDiscriminator: 1, settings: settings, seed: 42)
        _ = s.start(now: 0)
        switch state {
        case .down: break
        case .initializing: _ = s.receive(packet(.down), now: 1 * ms)
        case .up: _ = s.receive(packet(.initializing), now: 1 * ms)
        case .adminDown: _ = s.adminDown(now: 1 * ms)
        }
        #expect(s.state == state)
        return s
    }

    static func sent(_ actions: [BFDAction]) -> [BFDControlPacket] {
        actions.compactMap { if case .send(let p) = $0 { p } else { nil } }
    }

    /// Section 6.8.6's state table: (local state, received state) → new local state and diagnostic.
    @Test(arguments: [
        (BFDState.down, BFDState.down, BFDState.initializing, BFDDiagnostic.none),
        (.down, .initializing, .up, .none),
        (.down, .up, .down, .none),
        (.down, .adminDown, .down, .none),
        (.initializing, .down, .initializing, .none),
        (.initializing, .initializing, .up, .none),
        (.initializing, .up, .up, .none),
        (.initializing, .adminDown, .down, .neighborSignaledSessionDown),
        (.up, .down, .down, .neighborSignaledSessionDown),
        (.up, .initializing, .up, .none),
        (.up, .up, .up, .none),
        (.up, .adminDown, .down, .neighborSignaledSessionDown),
        (.adminDown, .down, .adminDown, .administrativelyDown),
        (.adminDown, .initializing, .adminDown, .administrativelyDown),
        (.adminDown, .up, .adminDown, .administrativelyDown),
    ])
    func receptionRule(local: BFDState, received: BFDState, expected: BFDState, diagnostic: BFDDiagnostic) {
        var s = Self.session(in: local)
        let actions = s.receive(Self.packet(received), now: 2 * Self.ms)
        #expect(s.state == expected)
        #expect(s.diagnostic == diagnostic)
        let changes = actions.filter { if case .stateChanged = $0 { true } else { false } }
        #expect(changes.count == (local == expected ? 0 : 1))
        #expect(s.remoteDiscriminator == 7, "the remote discriminator is learnt in every state")
    }

    @Test func aPacketForAnotherDiscriminatorIsIgnored() {
        var s = Self.session(in: .down)
        #expect(s.receive(Self.packet(.initializing, yours: 99), now: Self.ms).isEmpty)
        #expect(s.state == .down)
        #expect(s.remoteDiscriminator == 0)
    }

    @Test func detectionTimeBringsInitAndUpDown() {
        for state in [BFDState.initializing, .up] {
            var s = Self.session(in: state)
            // Received at 1 ms with multiplier 3 and max(100 ms, 100 ms): down at 301 ms, not before.
            #expect(s.detectionDeadline == 301 * Self.ms)
            _ = s.tick(now: 300 * Self.ms)
            #expect(s.state == state)
            let actions = s.tick(now: 301 * Self.ms)
            #expect(s.state == .down)
            #expect(s.diagnostic == .controlDetectionTimeExpired)
            #expect(s.remoteDiscriminator == 0, "bfd.RemoteDiscr resets when the Detection Time passes")
            #expect(actions.contains(.stateChanged(from: state, to: .down, diagnostic: .controlDetectionTimeExpired)))
            let down = Self.sent(actions)
            #expect(down.count == 1 && down[0].state == .down && down[0].diagnostic == .controlDetectionTimeExpired)
        }
        let down = Self.session(in: .down)
        #expect(down.detectionDeadline == nil, "no Detection Time in Down")
    }

    @Test func detectionTimeUsesTheSlowerOfBothSides() {
        var s = Self.session(in: .down)
        _ = s.receive(Self.packet(.down, tx: 1_000_000, multiplier: 5), now: 0)
        #expect(s.detectionTime == 5_000_000, "5 × max(100 ms required, 1 s desired by the remote)")
        #expect(s.detectionDeadline == 5_000 * Self.ms)
    }

    @Test func notUpTransmitsAtMostOncePerSecond() {
        var s = Self.session(in: .down)
        #expect(s.advertisedTransmitInterval == 1_000_000)
        var times: [UInt64] = []
        var now: UInt64 = 0
        for _ in 0..<50 {
            now = s.nextTransmit!
            if !Self.sent(s.tick(now: now)).isEmpty { times.append(now) }
        }
        for (a, b) in zip(times, times.dropFirst()) {
            #expect(b - a >= 750 * Self.ms && b - a <= 1000 * Self.ms, "gap \(b - a) ns within 75–100 % of 1 s")
        }
    }

    /// Up: the configured interval, less 0–25 % jitter; with a multiplier of 1, less 10–25 %.
    @Test(arguments: [UInt8(3), UInt8(1)])
    func periodicPacketsAreJittered(multiplier: UInt8) {
        var settings = Self.fast
        settings.detectMultiplier = multiplier
        var s = Self.session(in: .up, settings: settings)
        _ = s.receive(Self.packet(.up, final: true), now: 2 * Self.ms)
        #expect(!s.polling)
        var gaps: [UInt64] = []
        var last = s.nextTransmit!
        _ = s.tick(now: last)
        for _ in 0..<500 {
            let now = s.nextTransmit!
            _ = s.receive(Self.packet(.up), now: now)
            #expect(Self.sent(s.tick(now: now)).count == 1)
            gaps.append(now - last)
            last = now
        }
        let top: UInt64 = multiplier == 1 ? 90 : 100
        #expect(gaps.allSatisfy { $0 >= 75 * Self.ms && $0 < top * Self.ms })
        #expect(gaps.min()! < 80 * Self.ms && gaps.max()! > (top - 5) * Self.ms, "the jitter spans its range")
    }

    @Test func aPollIsAnsweredAtOnceWithFinal() {
        var s = Self.session(in: .up)
        let reply = Self.sent(s.receive(Self.packet(.up, poll: true), now: 5 * Self.ms))
        #expect(reply.last?.final == true)
        #expect(reply.last?.poll == false, "never both bits")
    }

    /// Entering Up changes the advertised transmit interval from 1 s to the configured one: a Poll Sequence, ended
    /// by the remote system's Final.
    @Test func enteringUpPolls() {
        var s = Self.session(in: .initializing)
        let actions = s.receive(Self.packet(.up), now: 2 * Self.ms)
        #expect(s.state == .up)
        let packets = Self.sent(actions)
        #expect(packets.count == 1 && packets[0].poll && packets[0].desiredMinTxInterval == 100_000)
        #expect(s.polling)
        #expect(s.transmitIntervalInUse == 100_000, "a faster transmit interval applies at once")
        _ = s.receive(Self.packet(.up, final: true), now: 3 * Self.ms)
        #expect(!s.polling)
        #expect(!Self.sent(s.tick(now: s.nextTransmit!)).contains { $0.poll })
    }

    /// Section 6.8.3: a larger transmit interval and a smaller receive interval wait for the Final.
    @Test func unsafeChangesWaitForTheFinal() {
        var s = Self.session(in: .up)
        _ = s.receive(Self.packet(.up, final: true), now: 2 * Self.ms)
        var slower = Self.fast
        slower.desiredMinTxInterval = 300_000
        slower.requiredMinRxInterval = 50_000
        let packets = Self.sent(s.update(slower, now: 3 * Self.ms))
        #expect(packets.count == 1 && packets[0].poll)
        #expect(packets[0].desiredMinTxInterval == 300_000 && packets[0].requiredMinRxInterval == 50_000)
        #expect(s.transmitIntervalInUse == 100_000, "the old transmit interval until the Final")
        #expect(s.receiveIntervalInUse == 100_000, "the old receive interval for the Detection Time until the Final")
        let meanwhile = Self.sent(s.tick(now: s.nextTransmit!))
        #expect(meanwhile.allSatisfy { $0.poll }, "periodic packets carry Poll meanwhile")
        _ = s.receive(Self.packet(.up, final: true), now: 50 * Self.ms)
        #expect(!s.polling)
        #expect(s.transmitIntervalInUse == 300_000)
        #expect(s.receiveIntervalInUse == 50_000)
    }

    @Test func safeChangesApplyAtOnce() {
        var s = Self.session(in: .up)
        _ = s.receive(Self.packet(.up, final: true), now: 2 * Self.ms)
        var faster = Self.fast
        faster.desiredMinTxInterval = 50_000
        faster.requiredMinRxInterval = 300_000
        _ = s.update(faster, now: 3 * Self.ms)
        #expect(s.polling)
        #expect(s.transmitIntervalInUse == 50_000)
        #expect(s.receiveIntervalInUse == 300_000)
    }

    @Test func passiveWaitsToBeHeard() {
        var settings = Self.fast
        settings.passive = true
        var s = BFDSession(localDiscriminator: 1, settings: settings, seed: 1)
        var now: UInt64 = 0
        #expect(Self.sent(s.start(now: 0)).isEmpty)
        for _ in 0..<5 {
            now = s.nextTransmit!
            #expect(Self.sent(s.tick(now: now)).isEmpty)
        }
        let answer = Self.sent(s.receive(Self.packet(.down), now: now + 1))
        #expect(answer.count == 1 && answer[0].state == .initializing && answer[0].yourDiscriminator == 7)
    }

    @Test func aRemoteAskingForNothingGetsNothing() {
        var s = Self.session(in: .down)
        _ = s.receive(Self.packet(.down, rx: 0), now: Self.ms)
        #expect(s.state == .initializing)
        for _ in 0..<5 { #expect(Self.sent(s.tick(now: s.nextTransmit!)).isEmpty) }
    }

    @Test func remoteDemandModeStopsPeriodicPacketsWhileBothAreUp() {
        var s = Self.session(in: .up)
        _ = s.receive(Self.packet(.up, final: true, demand: true), now: 2 * Self.ms)
        for _ in 0..<5 {
            // The remote system still sends its periodic packets; only this side is asked to stay quiet.
            let now = s.nextTransmit!
            _ = s.receive(Self.packet(.up, demand: true), now: now)
            #expect(Self.sent(s.tick(now: now)).isEmpty)
        }
        // A Poll is still answered.
        #expect(Self.sent(s.receive(Self.packet(.up, poll: true, demand: true), now: s.nextTransmit! + 1)).count == 1)
    }

    @Test func adminDownSaysSoAndStaysDown() {
        var s = Self.session(in: .up)
        let packets = Self.sent(s.adminDown(now: 5 * Self.ms))
        #expect(packets.count == 1 && packets[0].state == .adminDown && packets[0].diagnostic == .administrativelyDown)
        #expect(s.detectionDeadline == nil)
        _ = s.receive(Self.packet(.initializing), now: 6 * Self.ms)
        #expect(s.state == .adminDown)
        _ = s.adminUp(now: 7 * Self.ms)
        #expect(s.state == .down)
        _ = s.receive(Self.packet(.initializing), now: 8 * Self.ms)
        #expect(s.state == .up)
    }

    // MARK: Two machines wired together

    /// Two sessions over a simulated link with a one-way delay; `cut` drops what either side sends.
    struct Link {
        var a: BFDSession
        var b: BFDSession
        var now: UInt64 = 0
        let delay: UInt64
        var cutAtoB = false
        var cutBtoA = false
        var inFlight: [(at: UInt64, toA: Bool, packet: BFDControlPacket)] = []
        var changes: [(at: UInt64, side: String, to: BFDState)] = []

        init(a: BFDSettings, b: BFDSettings, delay: UInt64 = 1_000_000) {
            self.a = BFDSession(localDiscriminator: 0x1111, settings: a, seed: 3)
            self.b = BFDSession(localDiscriminator: 0x2222, settings: b, seed: 4)
            self.delay = delay
            route(self.a.start(now: 0), fromA: true)
            route(self.b.start(now: 0), fromA: false)
        }

        mutating func route(_ actions: [BFDAction], fromA: Bool) {
            for action in actions {
                switch action {
                case .send(let p):
                    // Through the codec, as on the wire.
                    let decoded = try! BFDControlPacket.decode(p.encoded)
                    if fromA ? !cutAtoB : !cutBtoA { inFlight.append((now + delay, !fromA, decoded)) }
                case .stateChanged(_, let to, _):
                    changes.append((now, fromA ? "a" : "b", to))
                }
            }
        }

        /// Runs the next event (a delivery or a timer) not after `limit`; false when there is none.
        mutating func step(until limit: UInt64) -> Bool {
            let delivery = inFlight.indices.min { inFlight[$0].at < inFlight[$1].at }
            let candidates = [delivery.map { inFlight[$0].at }, a.nextDeadline, b.nextDeadline].compactMap { $0 }
            guard let next = candidates.min(), next <= limit else { return false }
            now = max(now, next)
            if let d = delivery, inFlight[d].at == next {
                let item = inFlight.remove(at: d)
                if item.toA {
                    route(a.receive(item.packet, now: now), fromA: true)
                } else {
                    route(b.receive(item.packet, now: now), fromA: false)
                }
            } else if a.nextDeadline == next {
                route(a.tick(now: now), fromA: true)
            } else {
                route(b.tick(now: now), fromA: false)
            }
            return true
        }

        mutating func run(for duration: UInt64) {
            let limit = now + duration
            while step(until: limit) {}
            now = limit
        }
    }

    @Test func twoSessionsComeUpInRoundTripsAndSettleTheirIntervals() {
        var link = Link(a: Self.fast, b: Self.fast)
        link.run(for: 10 * Self.ms)
        #expect(link.a.state == .up && link.b.state == .up, "up within 10 ms: packets are sent on state changes")
        link.run(for: 1000 * Self.ms)
        #expect(!link.a.polling && !link.b.polling, "the Poll Sequences of entering Up ended")
        #expect(link.a.transmitInterval == 100_000 && link.b.transmitInterval == 100_000)
        #expect(link.a.detectionTime == 300_000 && link.b.detectionTime == 300_000)
    }

    @Test func negotiatedIntervalsAreTheSlowerSide() {
        let slow = BFDSettings(desiredMinTxInterval: 300_000, requiredMinRxInterval: 500_000, detectMultiplier: 5)
        var link = Link(a: Self.fast, b: slow)
        link.run(for: 2000 * Self.ms)
        #expect(link.a.state == .up && link.b.state == .up)
        #expect(link.a.transmitInterval == 500_000, "a sends no faster than b's 500 ms receive interval")
        #expect(link.b.transmitInterval == 300_000)
        #expect(link.a.detectionTime == 5 * 300_000, "b's multiplier × max(a's 100 ms receive, b's 300 ms transmit)")
        #expect(link.b.detectionTime == 3 * 500_000, "a's multiplier × max(b's 500 ms receive, a's 500 ms in use)")
    }

    /// One direction cut: the side that hears nothing goes down after its Detection Time, and the other follows when
    /// it hears Down (diagnostic 3), or by its own Detection Time when both directions are cut.
    @Test(arguments: [false, true])
    func aSilentPeerIsDetected(bothDirections: Bool) {
        var link = Link(a: Self.fast, b: Self.fast)
        link.run(for: 2000 * Self.ms)
        #expect(link.a.state == .up && link.b.state == .up)
        link.changes = []
        let cutAt = link.now
        link.cutBtoA = true
        link.cutAtoB = bothDirections
        link.run(for: 1000 * Self.ms)
        let aDown = link.changes.first { $0.side == "a" && $0.to == .down }
        let bDown = link.changes.first { $0.side == "b" && $0.to == .down }
        #expect(aDown != nil && bDown != nil)
        if let aDown {
            // The last packet from b was sent at most one interval before the cut and arrives 1 ms later.
            let elapsed = aDown.at - cutAt
            #expect(elapsed <= 301 * Self.ms && elapsed >= 200 * Self.ms, "a detected b in \(elapsed / Self.ms) ms")
        }
        #expect(link.a.diagnostic == .controlDetectionTimeExpired)
        #expect(
            link.b.diagnostic == (bothDirections ? .controlDetectionTimeExpired : .neighborSignaledSessionDown))
        // Restored: both come back up.
        link.cutBtoA = false
        link.cutAtoB = false
        link.run(for: 3000 * Self.ms)
        #expect(link.a.state == .up && link.b.state == .up)
    }

    @Test func aReloadPollsOnBothSidesWithoutAFalseDown() {
        var link = Link(a: Self.fast, b: Self.fast)
        link.run(for: 2000 * Self.ms)
        link.changes = []
        var slower = Self.fast
        slower.desiredMinTxInterval = 1_000_000
        link.route(link.a.update(slower, now: link.now), fromA: true)
        link.run(for: 5000 * Self.ms)
        #expect(link.changes.isEmpty, "no state change while the interval grows tenfold")
        #expect(!link.a.polling)
        #expect(link.a.transmitInterval == 1_000_000)
        #expect(link.b.detectionTime == 3_000_000, "b now waits for three of a's slower packets")
    }
}
