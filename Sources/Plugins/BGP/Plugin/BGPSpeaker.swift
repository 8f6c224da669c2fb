import HeraldBGP
import PluginKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The thin I/O layer of the BGP plugin: one thread polls every peer socket (and the listeners for passive peers),
/// feeds what arrives through the codec into each peer's state machine, and performs the actions it returns.
///
/// Plugin calls (`announce`, `withdraw`, `health`, metrics) only touch `shared` under its lock and wake the thread;
/// they never wait for the network.
final class BGPSpeaker: @unchecked Sendable {
    // @unchecked: `shared` is a Mutex. `sessions`, `listeners` and `lastHealth` belong to the I/O thread while it
    // runs, and to `start`/`stop` before it starts and after it has been joined. The other stored properties are
    // immutable after init, or written by `start` before the thread starts (`loop` also by `closeAll`, once the
    // thread has been joined or never started).

    struct Route: Sendable, Equatable {
        var prefix: BGPPrefix
        var attributes: RouteAttributes
    }

    /// What a peer looks like from outside the thread.
    struct PeerSnapshot: Sendable {
        var peer: String
        var state: BGPState
        var flaps: Int
        /// When the session became Established (monotonic nanoseconds), while it is.
        var establishedAt: UInt64?
        var advertised: Int
        var counters: PeerCounters
    }

    struct Shared {
        var routes: [String: Route] = [:]
        /// Bumped on every change of `routes`; each session syncs when its version differs.
        var version = 0
        /// When `routes` last changed (monotonic nanoseconds).
        var lastChange: UInt64 = 0
        var stopping = false
        /// The next stop is a restart (``prepareStop(restart:)``): sessions with Graceful Restart end without Cease.
        var restarting = false
        var peers: [PeerSnapshot] = []
        var health: Health = .ok
        /// BFD changes of state the I/O thread has not acted on yet, by session index.
        var bfdChanges: [BFDRunner.Change] = []
    }

    private let shared = Mutex(Shared())
    private let host: PluginHost
    private let listenPort: UInt16
    private let node: NodeInfo
    private var sessions: [PeerSession] = []
    /// The listening sockets for passive peers: one per address family and `vrf` device (nil: no device).
    private var listeners: [(fd: Int32, device: String?)] = []
    /// The I/O thread's wait and wake pipe, from `start` to `stop`.
    private var loop: PollLoop?
    private var thread: pthread_t?
    private var lastHealth: Health?
    /// When the I/O thread started (monotonic nanoseconds).
    private var startedAt: UInt64 = 0
    /// When the password files of passive peers are next looked at (see ``refreshPassivePasswords()``).
    private var nextPasswordCheck: UInt64 = 0
    /// The BFD sessions of the peers that name a profile; none when no peer does.
    private var bfd: BFDRunner?
    /// The BFD state of each session with BFD, by session index, as the I/O thread last heard it.
    private var bfdStates: [Int: BFDState] = [:]

    /// After a restart, a Graceful Restart peer keeps our routes as stale and drops whatever is missing once it
    /// gets End-of-RIB (RFC 4724 section 4.2). So the first session of each such peer sends its table and End-of-RIB
    /// only once the host's announcements have settled: at least 2 s after start and 0.5 s after the last change,
    /// and at most 30 s after start.
    private func settleDeadline() -> UInt64 {
        let last = shared.withLock { $0.lastChange }
        return min(startedAt + 30_000_000_000, max(startedAt + 2_000_000_000, last + 500_000_000))
    }

    init(configuration: BGPConfiguration, node: NodeInfo, host: PluginHost) throws {
        self.host = host
        self.listenPort = configuration.listenPort
        self.node = node
        let identifier = try configuration.identifier(node: node)
        var bfdPeers: [BFDRunner.Peer] = []
        for (index, peer) in configuration.peers.enumerated() {
            guard peer.selects(node.labels) else {
                host.log(.info, "bgp: peer \(peer.label) does not select node \(node.name); not connecting")
                continue
            }
            var password: (key: [UInt8], status: PasswordFile.Status)?
            if let file = peer.passwordFile {
                do {
                    password = try PasswordFileReader.load(file)
                } catch {
                    throw PluginError(.config, "config.peers[\(index)].passwordFile: \(error)")
                }
            }
            if let name = peer.bfdProfile, let profile = configuration.bfdProfile(named: name) {
                bfdPeers.append(
                    BFDRunner.Peer(
                        index: sessions.count, label: peer.label, address: peer.addressBytes, source: peer.sourceBytes,
                        device: peer.vrf, multihop: peer.bfdMultihop, profile: profile))
            }
            let settings = BGPSessionSettings(
                localASN: configuration.myASN, peerASN: peer.asn, routerID: identifier, holdTime: peer.holdTime,
                keepaliveTime: peer.keepaliveTime, families: peer.families,
                gracefulRestartTime: peer.gracefulRestart ? peer.gracefulRestartTime : nil,
                restarting: peer.gracefulRestart,
                passive: peer.passive)
            sessions.append(
                PeerSession(config: peer, password: password?.key, passwordStatus: password?.status, settings: settings)
            )
        }
        if !bfdPeers.isEmpty {
            for peer in bfdPeers { bfdStates[peer.index] = .down }
            bfd = BFDRunner(
                peers: bfdPeers, log: { [host] in host.log($0, $1) },
                onChange: { [weak self] change in self?.bfdChanged(change) })
        }
    }

    // MARK: Plugin calls

    func start() throws {
        let loop = try PollLoop()
        self.loop = loop
        do {
            try openListeners()
        } catch {
            closeAll()
            throw error
        }
        publish()
        do {
            thread = try PluginThread.start("BGP thread") { [self] in run(loop) }
        } catch {
            closeAll()
            throw error
        }
        do {
            try bfd?.start()
        } catch {
            stop()
            throw error
        }
    }

    /// Called on the BFD thread: queues the change for the I/O thread, which owns the sessions.
    private func bfdChanged(_ change: BFDRunner.Change) {
        shared.withLock { $0.bfdChanges.append(change) }
        wake()
    }

    func announce(_ a: Announcement) throws {
        guard let prefix = BGPPrefix(address: a.addressBytes, length: a.prefixLength) else {
            throw PluginError(.invalidArgument, "bgp: cannot announce \(a.address)/\(a.prefixLength)")
        }
        let attributes = try BGPAnnouncementAttributes.parse(a.attributesJSON)
        let route = Route(prefix: prefix, attributes: attributes)
        let changed = shared.withLock { state -> Bool in
            guard state.routes[a.id] != route else { return false }
            state.routes[a.id] = route
            state.version += 1
            state.lastChange = MonotonicClock.now()
            return true
        }
        if changed { wake() }
    }

    func withdraw(id: String) {
        let changed = shared.withLock { state -> Bool in
            guard state.routes.removeValue(forKey: id) != nil else { return false }
            state.version += 1
            state.lastChange = MonotonicClock.now()
            return true
        }
        if changed { wake() }
    }

    /// Says whether the next stop is a restart. A restart ends each Established session whose peer negotiated
    /// Graceful Restart (RFC 4724) by closing the connection without a NOTIFICATION, so that the peer keeps this
    /// node's routes as stale until the restarted speaker is back (or its restart time runs out); every other
    /// session gets Cease as on any stop. Returns whether a peer may keep routes: one has `gracefulRestart`.
    func prepareStop(restart: Bool) -> Bool {
        let keeps = restart && sessions.contains { $0.config.gracefulRestart }
        shared.withLock { $0.restarting = keeps }
        return keeps
    }

    /// Sends Cease to every peer (which withdraws every route there), except after ``prepareStop(restart:)`` said
    /// a restart, then stops the thread and closes the sockets.
    func stop() {
        shared.withLock { $0.stopping = true }
        wake()
        if let thread { pthread_join(thread, nil) }
        thread = nil
        closeAll()
        bfd?.stop()
    }

    func health() -> Health { shared.withLock { $0.health } }

    func collectMetrics(into writer: MetricsWriter) {
        let (peers, routes) = shared.withLock { ($0.peers, $0.routes.count) }
        writer.gauge("bgp_announced_prefixes", Double(routes), help: "Announcements the host asked for")
        bfd?.collectMetrics(into: writer)
        for p in peers {
            let labels = ["peer": p.peer]
            writer.gauge(
                "bgp_session_state", Double(p.state.mibValue), labels: labels,
                help: "Session state (1 Idle, 2 Connect, 3 Active, 4 OpenSent, 5 OpenConfirm, 6 Established)")
            writer.gauge(
                "bgp_session_established", p.state == .established ? 1 : 0, labels: labels,
                help: "1 while the session is Established")
            writer.counter(
                "bgp_session_flaps_total", Double(p.flaps), labels: labels, help: "Times the session left Established")
            let now = MonotonicClock.now()
            writer.gauge(
                "bgp_session_uptime_seconds",
                p.state == .established ? p.establishedAt.map { Double(now &- min($0, now)) / 1e9 } ?? 0 : 0,
                labels: labels, help: "Seconds since the session became Established (0 while it is not)")
            writer.gauge(
                "bgp_prefixes_advertised", Double(p.advertised), labels: labels, help: "Prefixes the peer holds from us"
            )
            writer.counter(
                "bgp_updates_sent_total", Double(p.counters.updatesSent), labels: labels, help: "UPDATE messages sent")
            writer.counter(
                "bgp_prefixes_announced_total", Double(p.counters.prefixesAnnounced), labels: labels,
                help: "Prefixes sent in UPDATE reachability")
            writer.counter(
                "bgp_prefixes_withdrawn_total", Double(p.counters.prefixesWithdrawn), labels: labels,
                help: "Prefixes sent as withdrawn")
            writer.counter(
                "bgp_updates_received_total", Double(p.counters.updatesReceived), labels: labels,
                help: "UPDATE messages received (ignored: Herald only announces)")
            writer.counter(
                "bgp_output_overflows_total", Double(p.counters.outputOverflows), labels: labels,
                help: "Sessions ended because the peer stopped reading and the output buffer toward it filled")
            writer.counter(
                "bgp_malformed_updates_total", Double(p.counters.malformedUpdates), labels: labels,
                help: "UPDATEs handled as treat-as-withdraw or with attributes discarded (RFC 7606)")
            for (code, n) in p.counters.notificationsSent.sorted(by: { $0.key < $1.key }) {
                writer.counter(
                    "bgp_notifications_sent_total", Double(n), labels: ["peer": p.peer, "code": code],
                    help: "NOTIFICATION messages sent, by error code")
            }
            for (code, n) in p.counters.notificationsReceived.sorted(by: { $0.key < $1.key }) {
                writer.counter(
                    "bgp_notifications_received_total", Double(n), labels: ["peer": p.peer, "code": code],
                    help: "NOTIFICATION messages received, by error code")
            }
        }
    }

    // MARK: Setup and teardown

    /// One listener per address family and device: passive peers with a `vrf` are accepted only through a socket
    /// bound to that device (SO_BINDTODEVICE), the others through one bound to none. (Linux refuses a listener bound
    /// to no device beside one bound to a device on the same port: give every passive peer of a family a `vrf`, or
    /// none.)
    private func openListeners() throws {
        let passive = sessions.filter(\.config.passive)
        for family in [4, 6] {
            let ofFamily = passive.filter { $0.config.addressBytes.count == (family == 4 ? 4 : 16) }
            let devices = Set(ofFamily.map(\.config.vrf)).sorted { ($0 ?? "") < ($1 ?? "") }
            for device in devices {
                let peers = ofFamily.filter { $0.config.vrf == device }
                do {
                    let fd = try TCPSocket.listen(family: family, port: listenPort, device: device)
                    listeners.append((fd, device))
                    for peer in peers {
                        if let password = peer.password {
                            try TCPSocket.setMD5(fd, peer: peer.config.addressBytes, key: password)
                        }
                    }
                } catch {
                    let on = device.map { " on device \($0)" } ?? ""
                    throw PluginError(
                        .io, "bgp: cannot listen on port \(listenPort)\(on) for passive peers: \(error)")
                }
            }
        }
    }

    /// How often the password files of passive peers are looked at: their key sits on the listening socket, where
    /// a connection from the router is checked before Herald sees it. Active peers' files are looked at before each
    /// connection.
    static let passwordCheckInterval: UInt64 = 5_000_000_000

    /// Puts the new key of each passive peer whose password file changed on the listening sockets.
    private func refreshPassivePasswords() {
        for session in sessions where session.config.passive && session.config.passwordFile != nil {
            guard session.refreshPassword(log: { self.host.log($0, $1) }), let key = session.password else { continue }
            let width = session.config.addressBytes.count
            for (fd, device) in listeners
            where device == session.config.vrf && TCPSocket.family(of: fd) == (width == 4 ? 4 : 6) {
                do {
                    try TCPSocket.setMD5(fd, peer: session.config.addressBytes, key: key)
                } catch {
                    host.log(.error, "bgp: peer \(session.config.label): cannot set the new password: \(error)")
                }
            }
        }
    }

    private func closeAll() {
        for session in sessions { session.closeSocket() }
        for listener in listeners { close(listener.fd) }
        listeners = []
        loop = nil
    }

    private func wake() { loop?.wake() }

    // MARK: The I/O thread

    private func run(_ loop: PollLoop) {
        startedAt = MonotonicClock.now()
        for session in sessions {
            handle(session, session.config.passive ? .manualStartPassive : .manualStart)
        }
        publish()
        var fds: [pollfd] = []
        while !shared.withLock({ $0.stopping }) {
            applyBFDChanges()
            let now = MonotonicClock.now()
            for session in sessions { perform(session, session.fsm.tick(now: now)) }
            let settled = now >= settleDeadline()
            for session in sessions where session.awaitingSettle && settled && session.fsm.state == .established {
                sendInitialTable(session)
            }
            if now >= nextPasswordCheck {
                refreshPassivePasswords()
                nextPasswordCheck = now + Self.passwordCheckInterval
            }
            syncRoutes()
            publish()

            fds.removeAll(keepingCapacity: true)
            for listener in listeners { fds.append(pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0)) }
            for session in sessions {
                var events = Int16(POLLIN)
                if session.connecting || session.pendingOutput > 0 { events |= Int16(POLLOUT) }
                fds.append(pollfd(fd: session.fd, events: session.fd >= 0 ? events : 0, revents: 0))
            }
            var deadline = sessions.compactMap(\.fsm.nextDeadline).min()
            if sessions.contains(where: \.awaitingSettle) { deadline = min(deadline ?? .max, settleDeadline()) }
            if sessions.contains(where: { $0.config.passive && $0.config.passwordFile != nil }) {
                deadline = min(deadline ?? .max, nextPasswordCheck)
            }
            guard loop.wait(&fds, until: deadline) else { continue }
            for (offset, listener) in listeners.enumerated() where fds[offset].revents != 0 {
                acceptConnections(listener.fd, device: listener.device)
            }
            for (offset, session) in sessions.enumerated() {
                let revents = fds[listeners.count + offset].revents
                guard revents != 0, session.fd >= 0 else { continue }
                serve(session, revents: revents)
            }
        }
        // Stop: a Cease to every peer with a session (RFC 4486: Administrative Shutdown), flushed for up to a
        // second, then close. On a restart, an Established session whose peer negotiated Graceful Restart gets no
        // Cease: the connection closes and the peer keeps the routes as stale (RFC 4724 section 4.2).
        let restarting = shared.withLock { $0.restarting }
        for session in sessions {
            if restarting, session.config.gracefulRestart, session.fsm.state == .established,
                session.fsm.negotiated?.peerGracefulRestart != nil
            {
                host.log(
                    .info,
                    "bgp: restarting: the session with \(session.config.label) closes without Cease; the peer keeps "
                        + "this node's routes for up to \(session.config.gracefulRestartTime) s")
                continue
            }
            handle(session, .manualStop)
        }
        let deadline = MonotonicClock.now() + 1_000_000_000
        while sessions.contains(where: { $0.fd >= 0 && $0.pendingOutput > 0 }), MonotonicClock.now() < deadline {
            for session in sessions where session.fd >= 0 { _ = session.flush() }
            usleep(1000)
        }
        publish()
    }

    /// BFD went Down (not AdminDown: the peer's or our own administrative stop is no failure, RFC 5882 section
    /// 3.2): the BGP session ends at once. BFD Up again: reported; the BGP session restarts on its own backoff.
    private func applyBFDChanges() {
        let changes = shared.withLock { state in
            defer { state.bfdChanges.removeAll() }
            return state.bfdChanges
        }
        for change in changes where sessions.indices.contains(change.peer.index) {
            let session = sessions[change.peer.index]
            bfdStates[change.peer.index] = change.to
            if change.to == .up {
                host.event(reason: "BFDUp", message: "BFD session with \(session.config.label) is up")
            } else if change.from == .up, change.to == .down, change.remoteState == .adminDown {
                host.log(.info, "bgp: the router stopped its BFD session with \(session.config.label) (AdminDown)")
            } else if change.from == .up, change.to == .down {
                let why = change.diagnostic.description
                host.log(.warning, "bgp: BFD session with \(session.config.label) down (\(why))")
                host.event(
                    warning: true, reason: "BFDDown",
                    message: "BFD session with \(session.config.label) down (\(why)); ending the BGP session")
                perform(session, session.fsm.bfdDown(now: MonotonicClock.now(), diagnostic: why))
            }
        }
    }

    private func serve(_ session: PeerSession, revents: Int16) {
        if session.connecting {
            guard revents & Int16(POLLOUT | POLLERR | POLLHUP) != 0 else { return }
            let error = TCPSocket.pendingError(session.fd)
            session.connecting = false
            if error == 0 {
                handle(session, .tcpCRAcked)
            } else {
                host.log(.debug, "bgp: connect to \(session.config.label): \(String(cString: strerror(error)))")
                session.closeSocket()
                handle(session, .tcpConnectionFails)
            }
            return
        }
        if revents & Int16(POLLOUT) != 0, !session.flush() {
            connectionFailed(session)
            return
        }
        if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
            let read = session.readAvailable()
            processFrames(session)
            if read == nil, session.fd >= 0 { connectionFailed(session) }
        }
    }

    private func connectionFailed(_ session: PeerSession) {
        session.closeSocket()
        handle(session, .tcpConnectionFails)
    }

    /// Decodes every complete message and feeds it to the state machine.
    private func processFrames(_ session: PeerSession) {
        while session.fd >= 0 {
            let frame: BGPFrame?
            do {
                frame = try session.framer.next()
            } catch {
                host.log(.warning, "bgp: \(session.config.label): \(error)")
                handle(session, .bgpHeaderErr(error))
                return
            }
            guard let frame else { return }
            let codec = session.fsm.negotiated?.codec ?? BGPCodecOptions()
            let message: BGPMessage
            do {
                message = try BGPMessage.decode(frame, codec)
            } catch {
                host.log(.warning, "bgp: \(session.config.label) sent a malformed message: \(error)")
                handle(session, BGPEvent.decodeFailed(error, messageType: frame.type))
                continue
            }
            switch message {
            case .notification(let n):
                session.counters.notificationsReceived[n.codeName, default: 0] += 1
                host.log(.warning, "bgp: \(session.config.label) sent NOTIFICATION \(n)")
            case .update(let update):
                session.counters.updatesReceived += 1
                if !update.errors.isEmpty { session.counters.malformedUpdates += 1 }
            case .routeRefresh:
                // RFC 2918 section 4: re-advertise the Adj-RIB-Out.
                if session.fsm.state == .established {
                    session.ribOut.reset()
                    session.syncedVersion = -1
                }
            default: break
            }
            if let event = BGPEvent.received(message) { handle(session, event) }
        }
    }

    private func acceptConnections(_ listener: Int32, device: String?) {
        while let (fd, peer) = TCPSocket.accept(listener) {
            guard
                let session = sessions.first(where: {
                    $0.config.passive && $0.config.addressBytes == peer && $0.config.vrf == device
                })
            else {
                host.log(.info, "bgp: refused a connection from \(BGPPrefix.text(peer)): not a passive peer")
                close(fd)
                continue
            }
            // A passive peer initiates every connection, so RFC 4271 section 6.8's rule (keep the connection opened
            // by the speaker with the higher BGP Identifier) cannot choose between two of them: the peer opening a
            // new one has given up on the one being set up (a router that restarted, whose old connection would
            // otherwise hold the session for the 4-minute OpenSent hold time). The new one is kept, and the old one
            // ends with Cease (Connection Collision Resolution). An Established session keeps its connection (section
            // 6.8), unless the peer restarts gracefully (RFC 4724 section 4.2: a new connection from a Graceful
            // Restart peer means its old one is gone).
            switch session.fsm.state {
            case .idle:
                handle(session, .automaticStartPassive)
            case .active, .connect:
                break
            case .openSent, .openConfirm, .established:
                let graceful = session.fsm.negotiated?.peerGracefulRestart != nil
                guard session.fsm.state != .established || graceful else {
                    host.log(.info, "bgp: refused a second connection from \(session.config.label): established")
                    close(fd)
                    continue
                }
                host.log(
                    .info,
                    "bgp: \(session.config.label) connected again while its session was \(session.fsm.state.rawValue); "
                        + "taking the new connection")
                handle(session, .openCollisionDump)
                session.closeSocket()
                handle(session, .automaticStartPassive)
            }
            session.adopt(fd)
            handle(session, .tcpConnectionConfirmed)
        }
    }

    /// Feeds an event and performs the actions, including the events those actions raise.
    private func handle(_ session: PeerSession, _ event: BGPEvent) {
        perform(session, session.fsm.handle(event, now: MonotonicClock.now()))
    }

    private func perform(_ session: PeerSession, _ actions: [BGPAction]) {
        var followUps: [BGPEvent] = []
        for action in actions {
            switch action {
            case .connect:
                session.refreshPassword { self.host.log($0, $1) }
                if !session.connect(log: { self.host.log(.debug, "bgp: \($0)") }) {
                    followUps.append(.tcpConnectionFails)
                } else if !session.connecting {
                    followUps.append(.tcpCRAcked)
                }
            case .disconnect:
                _ = session.flush()
                session.closeSocket()
            case .send(let message):
                guard session.queue(message) else { continue }
                if !session.flush() {
                    session.closeSocket()
                    followUps.append(.tcpConnectionFails)
                }
            case .established(let negotiated):
                established(session, negotiated)
            case .sessionDown(let reason):
                session.awaitingSettle = false
                session.ribOut.reset()
                session.policy = nil
                host.log(.warning, "bgp: session with \(session.config.label) down: \(reason)")
                host.event(
                    warning: true, reason: "PeerDown",
                    message: "BGP session with \(session.config.label) down: \(reason)")
            case .received:
                break
            }
        }
        if session.fsm.state != session.lastState {
            host.log(
                .debug, "bgp: \(session.config.label): \(session.lastState.rawValue) -> \(session.fsm.state.rawValue)")
            session.lastState = session.fsm.state
        }
        if endIfOverflowed(session) { return }
        for event in followUps { handle(session, event) }
    }

    /// Ends a session whose peer stopped reading, once its output buffer filled: Cease (Out of Resources), close,
    /// and the automatic restart after the backoff. True when it did.
    @discardableResult
    private func endIfOverflowed(_ session: PeerSession) -> Bool {
        guard session.output.overflowed else { return false }
        session.counters.outputOverflows += 1
        let limit = session.output.limit
        host.log(
            .warning,
            "bgp: \(session.config.label) stopped reading: \(session.output.pending) bytes wait to be sent and the "
                + "next message would pass the limit of \(limit); ending the session")
        perform(session, session.fsm.outputOverflowed(now: MonotonicClock.now(), limit: limit))
        if session.output.overflowed { session.closeSocket() }
        return true
    }

    private func established(_ session: PeerSession, _ negotiated: BGPNegotiated) {
        session.framer.maxMessageLength = negotiated.codec.maxMessageLength
        let local = session.fd >= 0 ? TCPSocket.localAddress(session.fd) : nil
        let families = session.config.families.filter(negotiated.families.contains)
        session.policy = ExportPolicy(
            localASN: session.fsm.settings.localASN, isInternal: session.fsm.settings.isInternal,
            nextHopIPv4: nextHop(width: 4, local: local), nextHopIPv6: nextHop(width: 16, local: local),
            families: families, codec: negotiated.codec)
        session.ribOut.reset()
        session.syncedVersion = -1
        if session.config.gracefulRestart, !session.everEstablished, MonotonicClock.now() < settleDeadline() {
            session.awaitingSettle = true
        } else {
            sendInitialTable(session)
        }
        session.everEstablished = true
        session.establishedAt = MonotonicClock.now()
        host.log(.info, "bgp: session with \(session.config.label) established (hold \(negotiated.holdTime) s)")
        host.event(reason: "PeerUp", message: "BGP session with \(session.config.label) established")
    }

    /// The full table, then End-of-RIB for every family (RFC 4724 section 2).
    private func sendInitialTable(_ session: PeerSession) {
        session.awaitingSettle = false
        guard let policy = session.policy else { return }
        syncRoutes(only: session)
        guard session.fsm.state == .established else { return }
        for family in policy.families {
            if !session.queue(.update(.endOfRIB(family))) { break }
        }
        if endIfOverflowed(session) { return }
        if !session.flush() { connectionFailed(session) }
    }

    /// The next hop for one family: the session's own local address when it has that family, else the node's first
    /// address of the family (not link-local).
    private func nextHop(width: Int, local: [UInt8]?) -> [UInt8]? {
        if let local, local.count == width { return local }
        if let source = sessionsSource(width: width) { return source }
        for text in node.addresses {
            if width == 4, let address = IPv4Address(text) { return address.bytes }
            if width == 16, let address = IPv6Address(text), !address.isLinkLocal { return address.bytes }
        }
        return nil
    }

    private func sessionsSource(width: Int) -> [UInt8]? {
        sessions.compactMap(\.config.sourceBytes).first { $0.count == width }
    }

    /// Brings every Established session's Adj-RIB-Out up to the current routes.
    private func syncRoutes(only: PeerSession? = nil) {
        let (version, routes) = shared.withLock { ($0.version, $0.routes) }
        var desired: [BGPPrefix: RouteAttributes]?
        for session in only.map({ [$0] }) ?? sessions {
            guard session.fsm.state == .established, !session.awaitingSettle, let policy = session.policy,
                session.syncedVersion != version
            else { continue }
            if desired == nil {
                var table: [BGPPrefix: RouteAttributes] = [:]
                // Two ids announcing one prefix: the smallest id's attributes win, so the choice is stable.
                for (_, route) in routes.sorted(by: { $0.key > $1.key }) { table[route.prefix] = route.attributes }
                desired = table
            }
            for update in session.ribOut.sync(to: desired!, policy: policy) {
                if !session.queue(.update(update)) { break }
            }
            session.syncedVersion = version
            if endIfOverflowed(session) { continue }
            if !session.flush() { connectionFailed(session) }
        }
    }

    /// Publishes per-peer snapshots and health for the plugin calls, and reports health changes.
    private func publish() {
        for session in sessions where session.fsm.state != .established { session.establishedAt = nil }
        let snapshots = sessions.map {
            PeerSnapshot(
                peer: $0.config.label, state: $0.fsm.state, flaps: $0.fsm.flaps, establishedAt: $0.establishedAt,
                advertised: $0.ribOut.sent.count, counters: $0.counters)
        }
        let down = sessions.filter { $0.fsm.state != .established }.map(\.config.label)
        let bfdDown = sessions.indices.filter { index in bfdStates[index].map { $0 != .up } ?? false }.map {
            sessions[$0].config.label
        }
        var problems: [String] = []
        if !down.isEmpty { problems.append("BGP sessions not established: \(down.joined(separator: ", "))") }
        if !bfdDown.isEmpty { problems.append("BFD sessions not up: \(bfdDown.joined(separator: ", "))") }
        let health: Health = problems.isEmpty ? .ok : .degraded(problems.joined(separator: "; "))
        shared.withLock {
            $0.peers = snapshots
            $0.health = health
        }
        if health != lastHealth {
            lastHealth = health
            host.report(health)
        }
    }
}
