#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The datagram sockets of BFD (RFC 5881 section 4, RFC 5883 section 5): non-blocking, close-on-exec, with the
/// TTL rules of the Generalized TTL Security Mechanism. Linux only. Addresses and sockaddrs as in `TCPSocket`.
enum UDPSocket {
    typealias Failure = TCPSocket.Failure

    /// `IP_MINTTL` (linux/in.h) and `IPV6_MINHOPCOUNT` (linux/in6.h): the kernel drops what arrives with less.
    static let ipMinTTL: Int32 = 21
    static let ipv6MinHopCount: Int32 = 73

    static func open(family: Int) throws(Failure) -> Int32 {
        let fd = socket(
            family == 4 ? AF_INET : AF_INET6,
            Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(call: "socket", code: errno) }
        if family == 6 {
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        return fd
    }

    /// A receiving socket on every address of one family, on `port`, that the kernel gives only datagrams with a
    /// TTL (hop limit) of at least `minimumTTL`.
    static func receiver(family: Int, port: UInt16, minimumTTL: Int32) throws(Failure) -> Int32 {
        let fd = try open(family: family)
        do throws(Failure) {
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var ttl = minimumTTL
            let result =
                family == 4
                ? setsockopt(fd, Int32(IPPROTO_IP), ipMinTTL, &ttl, socklen_t(MemoryLayout<Int32>.size))
                : setsockopt(fd, Int32(IPPROTO_IPV6), ipv6MinHopCount, &ttl, socklen_t(MemoryLayout<Int32>.size))
            guard result == 0 else { throw Failure(call: "minimum TTL \(minimumTTL)", code: errno) }
            try TCPSocket.bind(fd, address: [UInt8](repeating: 0, count: family == 4 ? 4 : 16), port: port)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// A sending socket towards `peer`:`port` from `source` (any address when nil) and a source port in
    /// 49152...65535 (RFC 5881 section 4), TTL 255, bound to `device` when given. `seed` picks the first port tried.
    static func sender(
        peer: [UInt8], port: UInt16, source: [UInt8]?, device: String?, seed: UInt32
    ) throws(Failure) -> Int32 {
        let family = peer.count == 4 ? 4 : 6
        let fd = try open(family: family)
        do throws(Failure) {
            try TCPSocket.setTTL(fd, 255, ipv4: family == 4)
            if let device { try TCPSocket.bind(fd, device: device) }
            let local = source ?? [UInt8](repeating: 0, count: peer.count)
            var bound = false
            for attempt in 0..<64 {
                let candidate = UInt16(49152 + (Int(seed) &+ attempt * 257) % 16384)
                do throws(Failure) {
                    try TCPSocket.bind(fd, address: local, port: candidate)
                    bound = true
                    break
                } catch  where error.code == EADDRINUSE {
                    continue
                }
            }
            guard bound else { throw Failure(call: "bind a source port in 49152...65535", code: EADDRINUSE) }
            let storage = TCPSocket.socketAddress(peer, port: port)
            let result = storage.withUnsafeBytes {
                Glibc.connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
            }
            guard result == 0 else { throw Failure(call: "connect", code: errno) }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Sends one datagram on a connected socket; false when the kernel refused it (no route, an ICMP error from an
    /// earlier datagram, a full buffer): BFD does not retransmit, the next packet goes on schedule.
    static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) } == bytes.count
    }

    /// Receives one datagram: its bytes (at most `capacity`) and the sender's address; nil when none is waiting.
    static func receive(_ fd: Int32, capacity: Int = 512) -> (bytes: [UInt8], from: [UInt8])? {
        var buffer = [UInt8](repeating: 0, count: capacity)
        var storage = [UInt8](repeating: 0, count: 128)
        var length = socklen_t(128)
        let count = buffer.withUnsafeMutableBytes { data in
            storage.withUnsafeMutableBytes {
                recvfrom(
                    fd, data.baseAddress, data.count, Int32(MSG_DONTWAIT),
                    $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
            }
        }
        guard count >= 0, let from = TCPSocket.address(of: storage) else { return nil }
        return (Array(buffer.prefix(count)), from)
    }
}
