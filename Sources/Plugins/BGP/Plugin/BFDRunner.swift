import HeraldBGP
import PluginKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// BFD for the BGP peers that name a profile (RFC 5880 asynchronous mode, single hop per RFC 5881, multihop per
/// RFC 5883), on a thread of its own so that the BGP thread's work (a full table towards a slow peer) never delays a
/// packet: the pure ``BFDSession`` decides, this layer sends, receives and keeps time.
///
/// Receiving: one socket per family and kind (single hop on port 3784, accepting TTL 255 only; multihop on 4784,
/// accepting the lowest `minimumTtl` of the multihop peers); a packet is given to the session its Your Discriminator
/// names, or, while that is zero, to the session of its source address and kind. Sending: one socket per session,
/// connected to the peer, from a port in 49152...65535, TTL 255, bound to the peer's `vrf` device when set.
///
/// A session that leaves Up is reported through `onChange` on this thread; `BGPSpeaker` then ends the BGP session.
final class BFDRunner: @unchecked Sendable {
    // @unchecked: `shared` is a Mutex; `sessions`, `receivers` and `loop` belong to the thread while it runs and to
    // `start`/`stop` before it starts and after it has been joined.

    struct Peer: Sendable {
        /// The index the owner knows the peer by (its `BGPSpeaker` session).
        var index: Int
        var label: String
        var address: [UInt8]
        var source: [UInt8]?
        var device: String?
        var multihop: Bool
        var profile: BFDProfile
    }

    /// A session's change of state, as `onChange` reports it.
    struct Change: Sendable {
        var peer: Peer
        var from: BFDState
        var to: BFDState
        var diagnostic: BFDDiagnostic
        /// What the peer last said of its side: AdminDown when it stopped the session on purpose.
        var remoteState: BFDState
    }

    struct Counters: Sendable, Equatable {
        var sent = 0
        var received = 0
        var sendErrors = 0
        /// Times the session left Up.
        var downs = 0
        /// The latest a periodic packet went out after it was due, and the longest time between two packets received
        /// while Up (nanoseconds): how well the timers keep time on a busy machine.
        var worstLateness: UInt64 = 0
        var worstGap: UInt64 = 0
    }

    struct Snapshot: Sendable, Equatable {
        var label: String
        var state: BFDState
        var remoteState: BFDState
        var diagnostic: BFDDiagnostic
        var detectionTimeMs: Double
        var counters: Counters
        /// Why the session cannot run (its socket could not be opened), if so.
        var failure: String?
    }

    struct Shared {
        var stopping = false
        var snapshots: [Snapshot] = []
        /// Packets that reached a receiving socket and were dropped: malformed, or for no session.
        var discarded = 0
    }

    final class Session {
        let peer: Peer
        var fsm: BFDSession
        var fd: Int32 = -1
        var counters = Counters()
        var failure: String?
        /// When the last packet arrived while Up (for `Counters.worstGap`).
        var lastReceived: UInt64?

        init(peer: Peer, discriminator: UInt32) {
            self.peer = peer
            self.fsm = BFDSession(
                localDiscriminator: discriminator, settings: peer.profile.settings,
                seed: UInt64(discriminator) << 32 | UInt64(UInt32.random(in: 1...UInt32.max)))
        }
    }

    static let singleHopPort: UInt16 = 3784
    static let multihopPort: UInt16 = 4784

    private let shared = Mutex(Shared())
    private let sessions: [Session]
    private var receivers: [(fd: Int32, family: Int, multihop: Bool)] = []
    private var loop: PollLoop?
    private var thread: pthread_t?
    private var discarded = 0
    private let log: @Sendable (LogLevel, String) -> Void
    private let onChange: @Sendable (Change) -> Void

    init(
        peers: [Peer], log: @escaping @Sendable (LogLevel, String) -> Void,
        onChange: @escaping @Sendable (Change) -> Void
    ) {
        var used: Set<UInt32> = [0]
        sessions = peers.map { peer in
            var discriminator: UInt32 = 0
            while !used.insert(discriminator).inserted { discriminator = UInt32.random(in: 1...UInt32.max) }
            return Session(peer: peer, discriminator: discriminator)
        }
        self.log = log
        self.onChange = onChange
    }

    var isEmpty: Bool { sessions.isEmpty }

    /// Opens the sockets and starts the thread. A socket that cannot be opened (port 3784 taken by another BFD
    /// daemon, say) fails only the sessions that need it, which then stay Down and say why in their snapshot.
    func start() throws {
        guard !sessions.isEmpty else { return }
        let loop = try PollLoop()
        self.loop = loop
        openSockets()
        publish()
        do {
            thread = try PluginThread.start("BFD thread") { [self] in run(loop) }
        } catch {
            closeAll()
            throw error
        }
    }

    /// Sends AdminDown to every peer (so that it does not take the stop for a failure, RFC 5882 section 3.2), stops
    /// the thread and closes the sockets.
    func stop() {
        shared.withLock { $0.stopping = true }
        loop?.wake()
        if let thread { pthread_join(thread, nil) }
        thread = nil
        closeAll()
    }

    var snapshots: [Snapshot] { shared.withLock { $0.snapshots } }
    var discardedPackets: Int { shared.withLock { $0.discarded } }

    /// The BFD metrics per peer, from the last published snapshots (never waits for the thread).
    func collectMetrics(into writer: MetricsWriter) {
        for s in snapshots {
            let labels = ["peer": s.label]
            writer.gauge(
                "bfd_session_state", Double(s.state.rawValue), labels: labels,
                help: "BFD session state (0 AdminDown, 1 Down, 2 Init, 3 Up)")
            writer.gauge(
                "bfd_session_up", s.state == .up ? 1 : 0, labels: labels, help: "1 while the BFD session is Up")
            writer.gauge(
                "bfd_detection_time_seconds", s.detectionTimeMs / 1000, labels: labels,
                help: "How long the peer may stay silent before the session goes down (0 until it is heard)")
            writer.counter(
                "bfd_session_down_total", Double(s.counters.downs), labels: labels, help: "Times the session left Up")
            writer.counter(
                "bfd_packets_sent_total", Double(s.counters.sent), labels: labels, help: "BFD control packets sent")
            writer.counter(
                "bfd_packets_received_total", Double(s.counters.received), labels: labels,
                help: "BFD control packets received and given to the session")
            writer.counter(
                "bfd_send_errors_total", Double(s.counters.sendErrors), labels: labels,
                help: "BFD control packets the kernel refused to send")
            writer.gauge(
                "bfd_transmit_late_seconds_max", Double(s.counters.worstLateness) / 1e9, labels: labels,
                help: "The latest a periodic BFD packet went out after it was due")
            writer.gauge(
                "bfd_receive_gap_seconds_max", Double(s.counters.worstGap) / 1e9, labels: labels,
                help: "The longest time between two BFD packets received while the session was Up")
        }
        writer.counter(
            "bfd_packets_discarded_total", Double(discardedPackets),
            help: "BFD packets received and dropped: malformed (RFC 5880 section 6.8.6) or for no session")
    }

    // MARK: Sockets

    private func openSockets() {
        for family in [4, 6] {
            for multihop in [false, true] {
                let wanted = sessions.filter {
                    $0.peer.multihop == multihop && $0.peer.address.count == (family == 4 ? 4 : 16)
                }
                guard !wanted.isEmpty else { continue }
                let port = multihop ? Self.multihopPort : Self.singleHopPort
                let minimum = multihop ? Int32(wanted.map(\.peer.profile.minimumTtl).min()!) : 255
                do {
                    let fd = try UDPSocket.receiver(family: family, port: port, minimumTTL: minimum)
                    receivers.append((fd, family, multihop))
                } catch {
                    let reason = "cannot receive BFD on UDP port \(port) (IPv\(family)): \(error)"
                    log(.error, "bgp: \(reason); the BFD sessions that need it stay down")
                    for session in wanted { session.failure = reason }
                }
            }
        }
        for session in sessions where session.failure == nil {
            let peer = session.peer
            do {
                session.fd = try UDPSocket.sender(
                    peer: peer.address, port: peer.multihop ? Self.multihopPort : Self.singleHopPort,
                    source: peer.source, device: peer.device, seed: session.fsm.localDiscriminator)
            } catch {
                session.failure = "cannot open the BFD socket towards \(peer.label): \(error)"
                log(.error, "bgp: \(session.failure!)")
            }
        }
    }

    private func closeAll() {
        for session in sessions where session.fd >= 0 {
            close(session.fd)
            session.fd = -1
        }
        for receiver in receivers { close(receiver.fd) }
        receivers = []
        loop = nil
    }

    // MARK: The thread

    private func run(_ loop: PollLoop) {
        raisePriority()
        let start = MonotonicClock.now()
        for session in sessions where session.fd >= 0 { perform(session, session.fsm.start(now: start)) }
        publish()
        var fds: [pollfd] = []
        while !shared.withLock({ $0.stopping }) {
            let now = MonotonicClock.now()
            for session in sessions where session.fd >= 0 {
                let due = session.fsm.nextTransmit
                let actions = session.fsm.tick(now: now)
                if let due, due <= now, actions.contains(where: { if case .send = $0 { true } else { false } }) {
                    session.counters.worstLateness = max(session.counters.worstLateness, now - due)
                }
                perform(session, actions)
            }
            publish()
            fds.removeAll(keepingCapacity: true)
            for receiver in receivers { fds.append(pollfd(fd: receiver.fd, events: Int16(POLLIN), revents: 0)) }
            let deadline = sessions.filter { $0.fd >= 0 }.compactMap(\.fsm.nextDeadline).min()
            guard loop.wait(&fds, until: deadline) else { continue }
            for (offset, receiver) in receivers.enumerated() where fds[offset].revents != 0 {
                drain(receiver.fd, multihop: receiver.multihop)
            }
        }
        let now = MonotonicClock.now()
        for session in sessions where session.fd >= 0 {
            let actions = session.fsm.adminDown(now: now)
            perform(session, actions)
            // Once more: a lost datagram would leave the peer to time the session out.
            for case .send(let packet) in actions { _ = UDPSocket.send(session.fd, packet.encoded) }
        }
        publish()
    }

    /// Asks for real-time scheduling (SCHED_FIFO, the lowest priority) for this thread alone, so that on a busy node
    /// a packet leaves when it is due rather than when the scheduler gets to it: the thread sleeps between packets and
    /// its work per packet is bounded. Without CAP_SYS_NICE the kernel refuses, and the thread runs at normal
    /// priority (said once, at debug level).
    private func raisePriority() {
        var parameters = sched_param(sched_priority: 1)
        let result = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters)
        if result == 0 {
            log(.info, "bgp: the BFD thread runs with real-time priority (SCHED_FIFO 1)")
        } else {
            log(
                .debug,
                "bgp: the BFD thread runs at normal priority (SCHED_FIFO: \(String(cString: strerror(result)))); "
                    + "CAP_SYS_NICE gives it steadier timers on a busy node")
        }
    }

    /// Reads every waiting datagram of a receiving socket (at most 256 at a time, so that timers stay on time).
    private func drain(_ fd: Int32, multihop: Bool) {
        for _ in 0..<256 {
            guard let (bytes, from) = UDPSocket.receive(fd) else { return }
            let packet: BFDControlPacket
            do {
                packet = try BFDControlPacket.decode(bytes)
            } catch {
                discarded += 1
                continue
            }
            guard let session = select(packet, from: from, multihop: multihop) else {
                discarded += 1
                continue
            }
            session.counters.received += 1
            let now = MonotonicClock.now()
            if session.fsm.state == .up, let last = session.lastReceived {
                session.counters.worstGap = max(session.counters.worstGap, now - last)
            }
            perform(session, session.fsm.receive(packet, now: now))
            session.lastReceived = session.fsm.state == .up ? now : nil
        }
    }

    /// Session selection (RFC 5880 section 6.8.6): by Your Discriminator when it is set, else by the source address
    /// among the sessions of the socket's kind. The source must be the session's peer either way.
    private func select(_ packet: BFDControlPacket, from: [UInt8], multihop: Bool) -> Session? {
        let session =
            packet.yourDiscriminator != 0
            ? sessions.first { $0.fsm.localDiscriminator == packet.yourDiscriminator }
            : sessions.first { $0.peer.address == from && $0.peer.multihop == multihop }
        guard let session, session.fd >= 0, session.peer.address == from, session.peer.multihop == multihop else {
            return nil
        }
        return session
    }

    private func perform(_ session: Session, _ actions: [BFDAction]) {
        for action in actions {
            switch action {
            case .send(let packet):
                if UDPSocket.send(session.fd, packet.encoded) {
                    session.counters.sent += 1
                } else {
                    session.counters.sendErrors += 1
                }
            case .stateChanged(let from, let to, let diagnostic):
                if from == .up { session.counters.downs += 1 }
                log(
                    to == .up || from == .up ? .info : .debug,
                    "bgp: BFD with \(session.peer.label): \(from) -> \(to)"
                        + (diagnostic == .none ? "" : " (\(diagnostic))"))
                onChange(
                    Change(
                        peer: session.peer, from: from, to: to, diagnostic: diagnostic,
                        remoteState: session.fsm.remoteState))
            }
        }
    }

    private func publish() {
        let snapshots = sessions.map {
            Snapshot(
                label: $0.peer.label, state: $0.fsm.state, remoteState: $0.fsm.remoteState,
                diagnostic: $0.fsm.diagnostic, detectionTimeMs: Double($0.fsm.detectionTime) / 1000,
                counters: $0.counters, failure: $0.failure)
        }
        let discarded = discarded
        shared.withLock {
            $0.snapshots = snapshots
            $0.discarded = discarded
        }
    }
}
