#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A non-blocking AF_PACKET SOCK_RAW socket bound to one interface and one EtherType (packet(7)).
///
/// Only the announcer's I/O thread uses a socket after it is opened.
final class PacketSocket {
    let fd: Int32
    let interface: NetworkInterface
    /// Receive buffer: larger than any frame the codecs accept, so that a truncated (oversized) frame is still seen
    /// as oversized by them.
    private var buffer = [UInt8](repeating: 0, count: 1600)
    private var control = [UInt8](repeating: 0, count: 128)
    /// IPv6 group memberships with MLD reports, opened on the first solicited-node join.
    private var groups: IPv6GroupMembership?

    /// One received frame, valid only during the `receive` callback.
    struct Received {
        var bytes: UnsafeRawBufferPointer
        var packetType: PacketType
        /// The kernel stripped an 802.1Q tag (PACKET_AUXDATA, TP_STATUS_VLAN_VALID).
        var vlanTagged: Bool
    }

    init(interface: NetworkInterface, etherType: UInt16, filter: [SocketFilterInstruction]?) throws(PacketSocketError) {
        self.interface = interface
        let proto = etherType.bigEndian
        fd = socket(
            AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
            Int32(proto))
        guard fd >= 0 else { throw PacketSocketError(operation: "socket(AF_PACKET)", errno: errno) }
        var on: Int32 = 1
        // Room for bursts (a flood of requests) while the thread is busy: 1 MiB (the kernel may cap it lower).
        var receiveBuffer: Int32 = 1 << 20
        // SO_RCVBUFFORCE (CAP_NET_ADMIN) passes the net.core.rmem_max cap; without it, SO_RCVBUF up to the cap.
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE_, &receiveBuffer, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, socklen_t(MemoryLayout<Int32>.size))
        }
        _ = setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &on, socklen_t(MemoryLayout<Int32>.size))
        // Our own transmissions would otherwise loop back to this socket (Linux 4.20 and later; harmless if absent,
        // the responder also ignores PACKET_OUTGOING).
        _ = setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING_, &on, socklen_t(MemoryLayout<Int32>.size))
        if var program = filter {
            let result = program.withUnsafeMutableBufferPointer { code -> Int32 in
                var fprog = SocketFilterProgram(len: UInt16(code.count), filter: code.baseAddress)
                return setsockopt(
                    fd, SOL_SOCKET, SO_ATTACH_FILTER_, &fprog, socklen_t(MemoryLayout<SocketFilterProgram>.size))
            }
            if result != 0 {
                let code = errno
                close(fd)
                throw PacketSocketError(operation: "SO_ATTACH_FILTER", errno: code)
            }
        }
        var address = LinkLayerAddress()
        address.sll_family = UInt16(AF_PACKET)
        address.sll_protocol = proto
        address.sll_ifindex = interface.index
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<LinkLayerAddress>.size))
            }
        }
        if bound != 0 {
            let code = errno
            close(fd)
            throw PacketSocketError(operation: "bind(\(interface.name))", errno: code)
        }
    }

    deinit { close(fd) }

    /// Frames the kernel dropped (a full receive buffer) since the last call; reading resets the kernel's counter.
    func takeKernelDrops() -> UInt64 {
        var stats = PacketStatistics()
        var length = socklen_t(MemoryLayout<PacketStatistics>.size)
        guard getsockopt(fd, SOL_PACKET, PACKET_STATISTICS_, &stats, &length) == 0 else { return 0 }
        return UInt64(stats.tp_drops)
    }

    /// Sends one frame on the bound interface; returns false on failure (a full queue or a vanished link).
    func send(_ frame: [UInt8]) -> Bool {
        frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) == $0.count }
    }

    /// Reads up to `limit` queued frames without blocking and hands each to `body`. Returns how many were read.
    func receive(limit: Int, _ body: (Received) -> Void) -> Int {
        var count = 0
        while count < limit {
            var from = LinkLayerAddress()
            let length = buffer.withUnsafeMutableBytes { data in
                control.withUnsafeMutableBytes { ctl in
                    withUnsafeMutablePointer(to: &from) { fromPointer in
                        var iov = iovec(iov_base: data.baseAddress, iov_len: data.count)
                        return withUnsafeMutablePointer(to: &iov) { iovPointer in
                            var message = msghdr()
                            message.msg_name = UnsafeMutableRawPointer(fromPointer)
                            message.msg_namelen = socklen_t(MemoryLayout<LinkLayerAddress>.size)
                            message.msg_iov = iovPointer
                            message.msg_iovlen = 1
                            message.msg_control = ctl.baseAddress
                            message.msg_controllen = ctl.count
                            let n = recvmsg(fd, &message, Int32(MSG_TRUNC) | Int32(MSG_DONTWAIT))
                            lastVLAN = n >= 0 && Self.vlanTagged(&message)
                            return n
                        }
                    }
                }
            }
            if length < 0 { break }
            count += 1
            if from.sll_ifindex != interface.index { continue }
            let kind = PacketType(rawValue: from.sll_pkttype) ?? .otherHost
            if kind == .outgoing { continue }
            buffer.withUnsafeBytes { data in
                // A truncated read (MSG_TRUNC returns the real length) is passed at full buffer size, which every
                // codec rejects as oversized.
                let view = UnsafeRawBufferPointer(rebasing: data[0..<min(length, data.count)])
                body(Received(bytes: view, packetType: kind, vlanTagged: lastVLAN))
            }
        }
        return count
    }

    private var lastVLAN = false

    /// Whether the PACKET_AUXDATA control message says the kernel removed a VLAN tag.
    private static func vlanTagged(_ message: inout msghdr) -> Bool {
        var header = CMSG_FIRSTHDR_(&message)
        while let cmsg = header {
            if cmsg.pointee.cmsg_level == SOL_PACKET, cmsg.pointee.cmsg_type == PACKET_AUXDATA {
                let data = UnsafeRawPointer(cmsg).advanced(by: MemoryLayout<cmsghdr>.size)
                let aux = data.loadUnaligned(as: PacketAuxiliaryData.self)
                return aux.tp_status & TP_STATUS_VLAN_VALID != 0
            }
            header = CMSG_NXTHDR_(&message, cmsg)
        }
        return false
    }

    /// Joins or leaves a link-layer multicast group on this socket's interface (PACKET_ADD_MEMBERSHIP), and for a
    /// solicited-node group also the IPv6 group, so that the kernel reports it with MLD.
    func setMembership(_ group: MACAddress, joined: Bool) -> Bool {
        if group.bytes.0 == 0x33 {
            if groups == nil { groups = IPv6GroupMembership(interfaceIndex: interface.index) }
            _ = groups?.set(group, joined: joined)
        }
        var request = PacketMembershipRequest()
        request.mr_ifindex = interface.index
        request.mr_type = PACKET_MR_MULTICAST
        request.mr_alen = 6
        withUnsafeMutableBytes(of: &request.mr_address) { raw in
            for (index, byte) in group.array.enumerated() { raw[index] = byte }
        }
        let option = joined ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP
        return setsockopt(fd, SOL_PACKET, option, &request, socklen_t(MemoryLayout<PacketMembershipRequest>.size)) == 0
    }
}

/// First control message header (the C macro CMSG_FIRSTHDR does not import into Swift).
private func CMSG_FIRSTHDR_(_ message: inout msghdr) -> UnsafeMutablePointer<cmsghdr>? {
    guard message.msg_controllen >= MemoryLayout<cmsghdr>.size, let control = message.msg_control else { return nil }
    return control.assumingMemoryBound(to: cmsghdr.self)
}

/// Next control message header within the buffer, or nil (CMSG_NXTHDR).
private func CMSG_NXTHDR_(
    _ message: inout msghdr, _ current: UnsafeMutablePointer<cmsghdr>
) -> UnsafeMutablePointer<cmsghdr>? {
    let align = MemoryLayout<Int>.size
    let length = (Int(current.pointee.cmsg_len) + align - 1) & ~(align - 1)
    guard length > 0, let control = message.msg_control else { return nil }
    let next = UnsafeMutableRawPointer(current).advanced(by: length)
    let end = control.advanced(by: message.msg_controllen)
    guard next.advanced(by: MemoryLayout<cmsghdr>.size) <= end else { return nil }
    let nextPointer = next.assumingMemoryBound(to: cmsghdr.self)
    guard UnsafeMutableRawPointer(nextPointer).advanced(by: Int(nextPointer.pointee.cmsg_len)) <= end else {
        return nil
    }
    return nextPointer
}

/// An operating-system call on a packet socket failed.
struct PacketSocketError: Error, CustomStringConvertible {
    var operation: String
    var errno: Int32
    var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}
