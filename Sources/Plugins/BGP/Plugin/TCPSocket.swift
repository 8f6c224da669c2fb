#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The socket calls of a BGP session: non-blocking TCP with the options RFC 4271 deployments need (TCP MD5
/// signatures of RFC 2385, a TTL for eBGP multihop, a source address, a device binding). Linux only.
enum TCPSocket {
    struct Failure: Error, CustomStringConvertible {
        var call: String
        var code: Int32
        var description: String { "\(call): \(String(cString: strerror(code)))" }
    }

    /// `TCP_MD5SIG` from linux/tcp.h.
    static let tcpMD5Sig: Int32 = 14
    /// `TCP_MD5SIG_MAXKEYLEN` from linux/tcp.h.
    static let md5MaxKeyLength = 80

    /// A sockaddr_in or sockaddr_in6 for 4- or 16-byte addresses, as bytes.
    static func socketAddress(_ address: [UInt8], port: UInt16) -> [UInt8] {
        var storage = [UInt8](repeating: 0, count: 128)
        let family = UInt16(address.count == 4 ? AF_INET : AF_INET6)
        withUnsafeBytes(of: family) {
            storage[0] = $0[0]; storage[1] = $0[1]
        }
        storage[2] = UInt8(port >> 8)
        storage[3] = UInt8(port & 0xFF)
        if address.count == 4 {
            for i in 0..<4 { storage[4 + i] = address[i] }
            return Array(storage.prefix(MemoryLayout<sockaddr_in>.size))
        }
        for i in 0..<16 { storage[8 + i] = address[i] }
        return Array(storage.prefix(MemoryLayout<sockaddr_in6>.size))
    }

    /// The address bytes and port of a sockaddr, unmapping IPv4-mapped IPv6 addresses.
    static func address(of storage: [UInt8]) -> [UInt8]? {
        let family = Int32(storage.withUnsafeBytes { $0.load(as: UInt16.self) })
        if family == AF_INET { return Array(storage[4..<8]) }
        guard family == AF_INET6 else { return nil }
        let bytes = Array(storage[8..<24])
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }

    static func open(family: Int) throws(Failure) -> Int32 {
        let fd = socket(
            family == 4 ? AF_INET : AF_INET6,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(call: "socket", code: errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    /// Binds the socket to a network device (SO_BINDTODEVICE): the session only uses routes through it.
    static func bind(_ fd: Int32, device: String) throws(Failure) {
        let result = device.withCString { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0, socklen_t(strlen($0) + 1)) }
        guard result == 0 else { throw Failure(call: "SO_BINDTODEVICE \(device)", code: errno) }
    }

    /// The TTL (hop limit) of outgoing segments.
    static func setTTL(_ fd: Int32, _ ttl: Int32, ipv4: Bool) throws(Failure) {
        var value = ttl
        let result =
            ipv4
            ? setsockopt(fd, Int32(IPPROTO_IP), IP_TTL, &value, socklen_t(MemoryLayout<Int32>.size))
            : setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, &value, socklen_t(MemoryLayout<Int32>.size))
        guard result == 0 else { throw Failure(call: "TTL \(ttl)", code: errno) }
    }

    /// Signs segments to and from `peer` with an RFC 2385 MD5 key (struct tcp_md5sig of linux/tcp.h: the peer's
    /// sockaddr_storage, flags, prefix length, key length, ifindex, key).
    static func setMD5(_ fd: Int32, peer: [UInt8], key: [UInt8]) throws(Failure) {
        var request = [UInt8](repeating: 0, count: 128 + 8 + md5MaxKeyLength)
        let address = socketAddress(peer, port: 0)
        for (i, byte) in address.enumerated() { request[i] = byte }
        let length = UInt16(min(key.count, md5MaxKeyLength))
        withUnsafeBytes(of: length) {
            request[130] = $0[0]; request[131] = $0[1]
        }
        for (i, byte) in key.prefix(md5MaxKeyLength).enumerated() { request[136 + i] = byte }
        let result = request.withUnsafeBytes {
            setsockopt(fd, Int32(IPPROTO_TCP), tcpMD5Sig, $0.baseAddress, socklen_t($0.count))
        }
        guard result == 0 else { throw Failure(call: "TCP_MD5SIG", code: errno) }
    }

    static func bind(_ fd: Int32, address: [UInt8], port: UInt16 = 0) throws(Failure) {
        let storage = socketAddress(address, port: port)
        let result = storage.withUnsafeBytes {
            Glibc.bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
        }
        guard result == 0 else { throw Failure(call: "bind \(address)", code: errno) }
    }

    /// Starts a non-blocking connect: true when it completed at once, false when it is in progress (wait for
    /// POLLOUT, then `pendingError`).
    static func connect(_ fd: Int32, to address: [UInt8], port: UInt16) throws(Failure) -> Bool {
        let storage = socketAddress(address, port: port)
        let result = storage.withUnsafeBytes {
            Glibc.connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
        }
        if result == 0 { return true }
        guard errno == EINPROGRESS else { throw Failure(call: "connect", code: errno) }
        return false
    }

    /// SO_ERROR: 0 once a non-blocking connect succeeded.
    static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) == 0 else { return errno }
        return value
    }

    /// The local address of a connected socket.
    static func localAddress(_ fd: Int32) -> [UInt8]? {
        var storage = [UInt8](repeating: 0, count: 128)
        var length = socklen_t(128)
        let result = storage.withUnsafeMutableBytes {
            getsockname(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        return result == 0 ? address(of: storage) : nil
    }

    /// A listening socket on every address of one family, bound to `device` when given (it then accepts only what
    /// arrives through that device).
    static func listen(family: Int, port: UInt16, device: String? = nil) throws(Failure) -> Int32 {
        let fd = try open(family: family)
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if family == 6 {
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        do throws(Failure) {
            if let device { try bind(fd, device: device) }
            try bind(fd, address: [UInt8](repeating: 0, count: family == 4 ? 4 : 16), port: port)
            guard Glibc.listen(fd, 16) == 0 else { throw Failure(call: "listen", code: errno) }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Accepts one connection: the new non-blocking socket and the peer's address.
    static func accept(_ fd: Int32) -> (fd: Int32, peer: [UInt8])? {
        var storage = [UInt8](repeating: 0, count: 128)
        var length = socklen_t(128)
        let client = storage.withUnsafeMutableBytes {
            Glibc.accept(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard client >= 0 else { return nil }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
        guard let peer = address(of: storage) else {
            close(client)
            return nil
        }
        var one: Int32 = 1
        _ = setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return (client, peer)
    }

    /// 4 or 6: the address family of a socket (nil when it cannot be told).
    static func family(of fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET: return 4
        case AF_INET6: return 6
        default: return nil
        }
    }
}
