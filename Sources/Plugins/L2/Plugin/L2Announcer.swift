import PluginKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The thin I/O layer shared by the ARP and NDP plugins: one packet socket per selected interface, one thread that
/// polls them, answers through the pure responder, sends gratuitous rounds on schedule, and follows interfaces
/// appearing, disappearing and losing their link.
///
/// Plugin calls (`announce`, `withdraw`, `health`, metrics) only touch the shared state under its lock and wake the
/// thread; they never wait for I/O.
package final class L2Announcer<R: L2Responder>: @unchecked Sendable {
    // @unchecked: `shared` is a Mutex. `sockets`, `monitor`, `lastHealth` and `conflictLimiter` are used only by the
    // I/O thread while it runs, and by `start`/`stop` before it starts and after it has been joined. `loop` is written
    // by `start` before the thread starts and by `stop` after it has been joined. The remaining stored properties are
    // immutable after init.

    /// A gratuitous round due at a monotonic time, for one address on every attached interface (or one interface).
    struct Scheduled {
        var due: UInt64
        var address: R.Address
        var interface: String?
    }

    struct Shared {
        var responder = R()
        var scheduled: [Scheduled] = []
        var memberships: [L2Membership] = []
        /// Interfaces with an open socket, by name.
        var attached: [String: NetworkInterface] = [:]
        var health: Health = .ok
        var sendErrors: UInt64 = 0
        /// Frames the kernel dropped before the plugin read them (receive buffer full), per interface.
        var kernelDrops: [String: UInt64] = [:]
        var stopping = false
    }

    private let shared = Mutex(Shared())
    private let configuration: L2Configuration
    private let host: PluginHost
    private let selection: InterfaceSelection
    private let filter: [SocketFilterInstruction]?
    private var sockets: [String: PacketSocket] = [:]
    private var monitor: LinkMonitor?
    /// The I/O thread's wait and wake pipe, from `start` to `stop`.
    private var loop: PollLoop?
    private var thread: pthread_t?
    private var lastHealth: Health?
    private var conflictLimiter = ConflictLimiter()

    /// - Parameter filter: a classic BPF program attached to every socket, to keep unrelated frames in the kernel.
    package init(configuration: L2Configuration, host: PluginHost, filter: [SocketFilterInstruction]? = nil) {
        self.configuration = configuration
        self.host = host
        self.selection = configuration.selection
        self.filter = filter
    }

    // MARK: Plugin calls

    /// Opens the sockets of the interfaces selected now and starts the I/O thread.
    package func start() throws {
        let loop = try PollLoop()
        self.loop = loop
        monitor = LinkMonitor()
        if monitor == nil { host.log(.warning, "cannot watch link changes over netlink; rescanning periodically") }
        do {
            try rescan(strict: true)
        } catch {
            sockets = [:]
            monitor = nil
            self.loop = nil
            throw error
        }
        thread = try PluginThread.start("I/O thread") { [self] in run(loop) }
    }

    /// Starts answering for the address and schedules the gratuitous rounds. Never waits for I/O.
    package func announce(_ a: Announcement) throws {
        guard a.addressBytes.count == R.addressWidth, let address = R.address(a.addressBytes) else {
            throw PluginError(
                .invalidArgument,
                "the \(R.protocolName) plugin announces IPv\(R.addressWidth == 4 ? 4 : 6) addresses, not \(a.address)")
        }
        let interfaces = try AnnouncementAttributes(json: a.attributesJSON).interfaces
        let now = MonotonicClock.now()
        let interval = UInt64(configuration.gratuitous.intervalMs) * 1_000_000
        shared.withLock { state in
            let before = state.responder.announced.entries[a.id]
            state.memberships += state.responder.announce(id: a.id, address: address, interfaces: interfaces)
            guard state.responder.announced.entries[a.id] != before else { return }
            for round in 0..<configuration.gratuitous.count {
                state.scheduled.append(Scheduled(due: now + UInt64(round) * interval, address: address, interface: nil))
            }
        }
        wake()
    }

    /// Stops answering for the id's address at once.
    package func withdraw(id: String) {
        shared.withLock { state in
            state.memberships += state.responder.withdraw(id: id)
            let live = state.responder.announced.addresses
            state.scheduled.removeAll { !live.contains($0.address) }
        }
        wake()
    }

    /// Withdraws everything, stops the thread and closes the sockets.
    package func stop() {
        shared.withLock { state in
            for id in Array(state.responder.announced.entries.keys) { _ = state.responder.withdraw(id: id) }
            state.scheduled = []
            state.stopping = true
        }
        wake()
        if let thread { pthread_join(thread, nil) }
        thread = nil
        sockets = [:]
        monitor = nil
        shared.withLock { $0.attached = [:] }
        loop = nil
    }

    package func health() -> Health { shared.withLock { $0.health } }

    /// Metrics, prefixed with the protocol name: frames, requests/replies/gratuitous/conflicts per address, drops per
    /// reason.
    package func collectMetrics(into writer: MetricsWriter) {
        let (counters, announced, attached, sendErrors, kernelDrops) = shared.withLock {
            (
                $0.responder.counters, $0.responder.announced.addresses.count, $0.attached.count, $0.sendErrors,
                $0.kernelDrops
            )
        }
        let p = R.protocolName
        writer.counter("\(p)_frames_received_total", Double(counters.frames), help: "Frames read from packet sockets")
        for (address, n) in counters.requests {
            writer.counter(
                "\(p)_requests_total", Double(n), labels: ["address": address],
                help: "Requests for an announced address")
        }
        for (address, n) in counters.replies {
            writer.counter("\(p)_replies_total", Double(n), labels: ["address": address], help: "Replies sent")
        }
        for (address, n) in counters.gratuitous {
            writer.counter(
                "\(p)_gratuitous_total", Double(n), labels: ["address": address],
                help: "Unsolicited announcements sent")
        }
        for reason in L2DropReason.allCases {
            writer.counter(
                "\(p)_drops_total", Double(counters.drops[reason] ?? 0), labels: ["reason": reason.rawValue],
                help: "Malformed or unsupported frames dropped")
        }
        for (address, n) in counters.conflicts {
            writer.counter(
                "\(p)_conflicts_total", Double(n), labels: ["address": address],
                help: "Frames in which another station claimed an announced address")
        }
        writer.counter("\(p)_ignored_total", Double(counters.ignored), help: "Frames needing no answer")
        writer.counter("\(p)_send_errors_total", Double(sendErrors), help: "Frames the kernel refused to send")
        for (interface, n) in kernelDrops.sorted(by: { $0.key < $1.key }) {
            writer.counter(
                "\(p)_socket_drops_total", Double(n), labels: ["interface": interface],
                help: "Frames the kernel dropped before they were read (receive buffer full)")
        }
        writer.gauge("\(p)_announced_addresses", Double(announced), help: "Addresses currently answered for")
        writer.gauge("\(p)_interfaces", Double(attached), help: "Interfaces with an open packet socket")
    }

    // MARK: The I/O thread

    private func wake() { loop?.wake() }

    private func run(_ loop: PollLoop) {
        let rescanInterval = UInt64(configuration.rescanIntervalMs) * 1_000_000
        var nextRescan = MonotonicClock.now() + rescanInterval
        var fds: [pollfd] = []
        while !shared.withLock({ $0.stopping }) {
            let now = MonotonicClock.now()
            if now >= nextRescan {
                try? rescan(strict: false)
                nextRescan = now + rescanInterval
            }
            applyMemberships()
            let nextDue = fireDue(now: now)
            let deadline = min(nextRescan, nextDue ?? .max)

            let order = Array(sockets.keys)
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: monitor?.fd ?? -1, events: Int16(POLLIN), revents: 0))
            for name in order { fds.append(pollfd(fd: sockets[name]!.fd, events: Int16(POLLIN), revents: 0)) }
            guard loop.wait(&fds, until: deadline) else { continue }
            if fds[0].revents != 0, monitor?.drain() ?? false {
                try? rescan(strict: false)
                nextRescan = MonotonicClock.now() + rescanInterval
            }
            var broken = false
            for (offset, name) in order.enumerated() {
                let revents = fds[offset + 1].revents
                guard revents != 0, let socket = sockets[name] else { continue }
                if revents & Int16(POLLERR | POLLNVAL) != 0 { broken = true }
                if revents & Int16(POLLIN) != 0 { serve(socket) }
            }
            if broken { try? rescan(strict: false) }
        }
    }

    /// Answers every queued frame of one socket (at most a bounded batch per wake-up, so that no interface starves
    /// the others).
    private func serve(_ socket: PacketSocket) {
        let name = socket.interface.name
        let mac = socket.interface.mac
        var failures: UInt64 = 0
        var conflicts: [L2Conflict] = []
        _ = socket.receive(limit: 256) { frame in
            let action = shared.withLock { state -> L2Action in
                if frame.vlanTagged {
                    state.responder.recordDrop(.vlanTagged)
                    return .drop(.vlanTagged)
                }
                return state.responder.handle(frame.bytes, packetType: frame.packetType, interface: name, mac: mac)
            }
            if let bytes = action.frameToSend, !socket.send(bytes) { failures += 1 }
            if case .conflict(let conflict, _) = action { conflicts.append(conflict) }
        }
        report(conflicts, on: name)
        let dropped = socket.takeKernelDrops()
        if failures > 0 || dropped > 0 {
            shared.withLock {
                $0.sendErrors += failures
                if dropped > 0 { $0.kernelDrops[name, default: 0] += dropped }
            }
        }
    }

    /// Emits an `AddressConflict` warning per announcement id for each address another station claims, at most one
    /// round per address per 30 s, whatever hardware addresses the claims come from. The limiter tracks the node's
    /// announced addresses only.
    private func report(_ conflicts: [L2Conflict], on interface: String) {
        guard !conflicts.isEmpty else { return }
        let now = MonotonicClock.now()
        let live = shared.withLock { Set($0.responder.announced.addresses.map(\.description)) }
        conflictLimiter.retain { live.contains($0) }
        for conflict in conflicts where conflictLimiter.admit(conflict.address, now: now) {
            let message =
                "\(R.protocolName): \(conflict.address) is also claimed by \(conflict.otherMAC) on \(interface)"
            for id in conflict.announcementIDs {
                host.event(warning: true, reason: "AddressConflict", message: message, announcementID: id)
            }
        }
    }

    /// Sends the gratuitous rounds that are due; returns the time of the next one.
    private func fireDue(now: UInt64) -> UInt64? {
        var work: [(socket: PacketSocket, address: R.Address, frames: [[UInt8]])] = []
        let next = shared.withLock { state -> UInt64? in
            var remaining: [Scheduled] = []
            for entry in state.scheduled {
                guard entry.due <= now else {
                    remaining.append(entry)
                    continue
                }
                for (name, socket) in sockets where entry.interface == nil || entry.interface == name {
                    let frames = state.responder.gratuitous(
                        entry.address, interface: name, mac: socket.interface.mac)
                    if !frames.isEmpty { work.append((socket, entry.address, frames)) }
                }
            }
            state.scheduled = remaining
            return remaining.map(\.due).min()
        }
        guard !work.isEmpty else { return next }
        var sent: [(R.Address, Int)] = []
        var failures: UInt64 = 0
        for item in work {
            var count = 0
            for frame in item.frames {
                if item.socket.send(frame) { count += 1 } else { failures += 1 }
            }
            sent.append((item.address, count))
        }
        shared.withLock { state in
            for (address, count) in sent { state.responder.recordGratuitous(address, count: count) }
            state.sendErrors += failures
        }
        return next
    }

    private func applyMemberships() {
        let changes = shared.withLock { state -> [L2Membership] in
            defer { state.memberships = [] }
            return state.memberships
        }
        for change in changes {
            for socket in sockets.values {
                switch change {
                case .join(let group): _ = socket.setMembership(group, joined: true)
                case .leave(let group): _ = socket.setMembership(group, joined: false)
                }
            }
        }
    }

    /// Reconciles the open sockets with the interfaces present now, and reports health changes.
    /// - Parameter strict: throw when a socket cannot be opened (at start: a permission problem should fail loudly).
    private func rescan(strict: Bool) throws {
        let selected = NetworkInterface.scan().filter(selection.selects)
        let usable = Dictionary(selected.filter(\.hasCarrier).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        // Reopen only when the link itself changed (another index or hardware address), not on flag changes.
        for (name, socket) in sockets
        where usable[name]?.index != socket.interface.index || usable[name]?.mac != socket.interface.mac {
            sockets[name] = nil
            let why = selected.contains { $0.name == name } ? "its link is down or changed" : "it disappeared"
            host.event(
                warning: true, reason: "InterfaceDetached",
                message: "\(R.protocolName): stopped answering on \(name): \(why)")
        }
        var opened: [NetworkInterface] = []
        for (name, interface) in usable where sockets[name] == nil {
            do {
                sockets[name] = try PacketSocket(interface: interface, etherType: R.etherType, filter: filter)
                opened.append(interface)
                let message = "\(R.protocolName): answering on \(name) (\(interface.mac))"
                if strict {
                    host.log(.info, message)
                } else {
                    host.event(reason: "InterfaceAttached", message: message)
                }
            } catch {
                if strict { throw PluginError(.io, "\(R.protocolName) on \(name): \(error)") }
                host.event(
                    warning: true, reason: "InterfaceFailed",
                    message: "\(R.protocolName): cannot open a packet socket on \(name): \(error)")
            }
        }
        let groups = shared.withLock { state -> [MACAddress] in
            state.attached = sockets.mapValues(\.interface)
            state.responder.localMACs = Set(sockets.values.map(\.interface.mac))
            // A newly attached interface gets one round for every address, so that neighbours learn at once.
            let now = MonotonicClock.now()
            for interface in opened {
                for address in state.responder.announced.addresses {
                    state.scheduled.append(Scheduled(due: now, address: address, interface: interface.name))
                }
            }
            return state.responder.joinedGroups
        }
        for interface in opened {
            for group in groups { _ = sockets[interface.name]?.setMembership(group, joined: true) }
        }
        updateHealth(selected: selected)
    }

    private func updateHealth(selected: [NetworkInterface]) {
        let down = selected.filter { !$0.hasCarrier }.map(\.name).sorted()
        let health: Health
        if selected.isEmpty {
            health = .unhealthy("no interface selected for \(R.protocolName)")
        } else if sockets.isEmpty {
            health = .unhealthy("link down on \(down.joined(separator: ", "))")
        } else if !down.isEmpty {
            health = .degraded("link down on \(down.joined(separator: ", "))")
        } else {
            health = .ok
        }
        shared.withLock { $0.health = health }
        guard health != lastHealth else { return }
        let previous = lastHealth
        lastHealth = health
        host.report(health)
        if previous != nil {
            switch health {
            case .ok: host.event(reason: "LinkUp", message: "\(R.protocolName): every selected interface is up")
            case .degraded(let detail), .unhealthy(let detail):
                host.event(warning: true, reason: "LinkDown", message: "\(R.protocolName): \(detail)")
            }
        }
    }
}
