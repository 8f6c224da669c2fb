#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// IPv6 multicast group memberships of one interface, held through a UDP socket (IPV6_ADD_MEMBERSHIP). Unlike a
/// packet socket's link-layer membership, this makes the kernel send MLD reports (RFC 3810), so that switches with
/// MLD snooping forward the solicited-node group to this port; closing the socket leaves every group.
final class IPv6GroupMembership {
    private let fd: Int32
    private let index: Int32

    /// Nil when IPv6 sockets are unavailable (IPv6 disabled): the packet socket's membership still works on links
    /// that flood multicast.
    init?(interfaceIndex: Int32) {
        fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        index = interfaceIndex
    }

    deinit { close(fd) }

    /// Joins or leaves the IPv6 group whose Ethernet mapping is `mac`, when `mac` is a solicited-node mapping
    /// (33:33:ff:xx:xx:xx ↔ ff02::1:ffxx:xxxx, RFC 2464 section 7). Returns false for other groups or on failure.
    func set(_ mac: MACAddress, joined: Bool) -> Bool {
        let b = mac.array
        guard b[0] == 0x33, b[1] == 0x33, b[2] == 0xFF else { return false }
        var request = ipv6_mreq()
        let group: [UInt8] = [0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF, b[3], b[4], b[5]]
        withUnsafeMutableBytes(of: &request.ipv6mr_multiaddr) { raw in
            for (i, byte) in group.enumerated() { raw[i] = byte }
        }
        request.ipv6mr_interface = UInt32(index)
        let option = joined ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP
        return setsockopt(fd, Int32(IPPROTO_IPV6), option, &request, socklen_t(MemoryLayout<ipv6_mreq>.size)) == 0
    }
}
