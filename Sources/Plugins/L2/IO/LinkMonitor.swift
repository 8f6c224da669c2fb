#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A netlink socket subscribed to link changes (RTMGRP_LINK, rtnetlink(7)). It only signals "something changed";
/// the announcer then rescans the interfaces, so no netlink message is parsed.
final class LinkMonitor {
    let fd: Int32

    /// Nil when the socket cannot be opened; the announcer then relies on its periodic rescan.
    init?() {
        fd = socket(
            AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
            NETLINK_ROUTE)
        guard fd >= 0 else { return nil }
        var address = NetlinkAddress()
        address.nl_family = UInt16(AF_NETLINK)
        address.nl_groups = RTMGRP_LINK
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<NetlinkAddress>.size))
            }
        }
        if bound != 0 {
            close(fd)
            return nil
        }
    }

    deinit { close(fd) }

    /// Discards every queued notification; returns true when there was at least one.
    func drain() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 8192)
        var any = false
        while buffer.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) > 0 {
            any = true
        }
        // ENOBUFS (overrun) also means "rescan".
        return any || errno == ENOBUFS
    }
}
