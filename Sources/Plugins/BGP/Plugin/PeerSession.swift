import HeraldBGP
import PluginKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One peer's session on the I/O thread: its state machine, its socket, what is buffered in each direction, and what
/// was sent (Adj-RIB-Out). Used only by `BGPSpeaker`'s thread.
final class PeerSession {
    let config: PeerConfiguration
    /// The TCP MD5 key, and the status of the password file it was read from (see ``refreshPassword(log:)``).
    private(set) var password: [UInt8]?
    private(set) var passwordStatus: PasswordFile.Status?
    var fsm: BGPFSM
    var fd: Int32 = -1
    /// A non-blocking connect is in progress on `fd`.
    var connecting = false
    var framer = BGPFramer()
    /// Bounded: a peer that stops reading ends its session once this fills (see `BGPSpeaker.endIfOverflowed`).
    var output = BGPOutputBuffer()
    var ribOut = AdjRIBOut()
    var policy: ExportPolicy?
    /// The route table version last sent (see `BGPSpeaker.Shared.version`).
    var syncedVersion = -1
    var counters = PeerCounters()
    var lastState = BGPState.idle
    /// The session has been Established at least once since the plugin started.
    var everEstablished = false
    /// When the session last became Established (monotonic nanoseconds); nil while it is not.
    var establishedAt: UInt64?
    /// Established, holding back the initial table and End-of-RIB until the host's announcements settle (see
    /// `BGPSpeaker.settleDeadline`).
    var awaitingSettle = false

    init(
        config: PeerConfiguration, password: [UInt8]?, passwordStatus: PasswordFile.Status? = nil,
        settings: BGPSessionSettings
    ) {
        self.config = config
        self.password = password
        self.passwordStatus = passwordStatus
        self.fsm = BGPFSM(settings: settings)
    }

    var pendingOutput: Int { output.pending }

    /// Reads the password file again when it is no longer the file last read (rewritten, replaced, or its owner or
    /// mode changed), so that the next connection uses the new key. A file now refused or invalid is reported and
    /// the previous key kept. Returns true when the key changed.
    @discardableResult
    func refreshPassword(log: (LogLevel, String) -> Void) -> Bool {
        guard let path = config.passwordFile else { return false }
        guard let current = PasswordFileReader.status(of: path) else {
            if passwordStatus != nil {
                log(.error, "bgp: peer \(config.label): \(path) cannot be examined; keeping the previous password")
            }
            passwordStatus = nil
            return false
        }
        guard PasswordFile.needsReading(current, last: passwordStatus) else { return false }
        passwordStatus = current
        do {
            let loaded = try PasswordFileReader.load(path)
            passwordStatus = loaded.status
            guard loaded.key != password else { return false }
            password = loaded.key
            log(
                .notice, "bgp: peer \(config.label): \(path) changed; its new password is used from the next connection"
            )
            return true
        } catch {
            log(.error, "bgp: peer \(config.label): \(error); keeping the previous password")
            return false
        }
    }

    /// Opens the socket with the peer's options and starts connecting. Returns false when it failed at once.
    func connect(log: (String) -> Void) -> Bool {
        closeSocket()
        let ipv4 = config.addressBytes.count == 4
        do {
            fd = try TCPSocket.open(family: ipv4 ? 4 : 6)
            if let vrf = config.vrf { try TCPSocket.bind(fd, device: vrf) }
            let external = fsm.settings.localASN != config.asn
            // RFC 4271 does not fix a TTL; single-hop eBGP uses 1 by convention (as BIRD and FRR do).
            let ttl = Int32(config.ebgpMultiHop ?? (external ? 1 : 64))
            try TCPSocket.setTTL(fd, ttl, ipv4: ipv4)
            if let password { try TCPSocket.setMD5(fd, peer: config.addressBytes, key: password) }
            if let source = config.sourceBytes { try TCPSocket.bind(fd, address: source) }
            connecting = !(try TCPSocket.connect(fd, to: config.addressBytes, port: config.port))
            return true
        } catch {
            log("connect to \(config.label): \(error)")
            closeSocket()
            return false
        }
    }

    /// Takes over a connection the peer opened (passive side).
    func adopt(_ socket: Int32) {
        closeSocket()
        fd = socket
        connecting = false
    }

    func closeSocket() {
        if fd >= 0 { close(fd) }
        fd = -1
        connecting = false
        framer = BGPFramer()
        output.clear()
    }

    /// Queues a message; false when the output buffer is full (`output.overflowed`), and the message was not queued.
    /// A NOTIFICATION is always queued: it ends the session.
    @discardableResult
    func queue(_ message: BGPMessage) -> Bool {
        let codec = fsm.negotiated?.codec ?? BGPCodecOptions()
        var force = false
        if case .notification = message { force = true }
        guard output.append(message.encoded(codec), force: force) else { return false }
        counters.messagesSent += 1
        switch message {
        case .update(let update):
            counters.updatesSent += 1
            counters.prefixesAnnounced += UInt64(update.announced.count)
            counters.prefixesWithdrawn += UInt64(
                update.withdrawn.count + (update.attributes.mpUnreach?.withdrawn.count ?? 0))
        case .notification(let n): counters.notificationsSent[n.codeName, default: 0] += 1
        default: break
        }
        return true
    }

    /// Writes what the socket takes now. False when the connection failed.
    func flush() -> Bool {
        guard fd >= 0, !connecting else { return true }
        let socket = fd
        while output.pending > 0 {
            let n = output.drain { raw in send(socket, raw.baseAddress!, raw.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { break }
                return false
            }
            if n == 0 { break }
        }
        return true
    }

    /// Reads what is available (a bounded amount per call). Nil when the peer closed or the read failed.
    func readAvailable() -> Int? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var total = 0
        for _ in 0..<16 {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 {
                framer.append(buffer[0..<n])
                total += n
                continue
            }
            if n == 0 { return nil }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { break }
            return nil
        }
        return total
    }
}

/// Per-peer counters for metrics.
struct PeerCounters: Sendable {
    var messagesSent: UInt64 = 0
    var updatesSent: UInt64 = 0
    var prefixesAnnounced: UInt64 = 0
    var prefixesWithdrawn: UInt64 = 0
    var updatesReceived: UInt64 = 0
    var malformedUpdates: UInt64 = 0
    /// Sessions ended because the peer stopped reading and the output buffer filled.
    var outputOverflows: UInt64 = 0
    var notificationsSent: [String: UInt64] = [:]
    var notificationsReceived: [String: UInt64] = [:]
}
