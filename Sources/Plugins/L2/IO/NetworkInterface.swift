#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One network interface as the kernel reports it: name, index, hardware address and flags.
package struct NetworkInterface: Hashable, Sendable {
    package var name: String
    package var index: Int32
    package var mac: MACAddress
    package var flags: UInt32
    /// Enslaved to a bridge or bond (has a `master`): its frames belong to the master.
    package var isEnslaved: Bool

    package init(name: String, index: Int32, mac: MACAddress, flags: UInt32, isEnslaved: Bool) {
        self.name = name
        self.index = index
        self.mac = mac
        self.flags = flags
        self.isEnslaved = isEnslaved
    }

    package var isUp: Bool { flags & UInt32(IFF_UP) != 0 }
    /// Operationally up: administratively up and the link has carrier.
    package var hasCarrier: Bool { isUp && flags & UInt32(IFF_RUNNING) != 0 }
    package var isLoopback: Bool { flags & UInt32(IFF_LOOPBACK) != 0 }
    package var canBroadcast: Bool {
        flags & UInt32(IFF_BROADCAST) != 0 && flags & UInt32(IFF_NOARP) == 0
            && flags & UInt32(IFF_POINTOPOINT) == 0
    }

    /// Every interface with a 6-byte hardware address, from getifaddrs(3) (its AF_PACKET entries).
    package static func scan() -> [NetworkInterface] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var out: [NetworkInterface] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            cursor = entry.pointee.ifa_next
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == UInt16(AF_PACKET),
                let namePointer = entry.pointee.ifa_name
            else { continue }
            let link = UnsafeRawPointer(address)!.loadUnaligned(as: LinkLayerAddress.self)
            guard link.sll_halen == 6 else { continue }
            let mac = withUnsafeBytes(of: link.sll_addr) { MACAddress($0, at: 0) }
            let name = String(cString: namePointer)
            let enslaved =
                entry.pointee.ifa_flags & UInt32(IFF_SLAVE) != 0
                || access("/sys/class/net/\(name)/master", F_OK) == 0
            out.append(
                NetworkInterface(
                    name: name, index: link.sll_ifindex, mac: mac, flags: entry.pointee.ifa_flags,
                    isEnslaved: enslaved))
        }
        return out
    }
}
