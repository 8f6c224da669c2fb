import HeraldConfig
import HeraldConfigModel
import HeraldCore

#if canImport(Glibc)
    import Glibc
#endif

/// Who this node is: its name, labels and addresses.
package enum NodeIdentity {
    /// The name from `--node-name`, else `NODE_NAME` (set from the downward API in a DaemonSet), else the
    /// configuration's `node.name`, else the hostname; the configuration's labels; its addresses, else the machine's
    /// non-loopback ones.
    package static func resolve(
        _ config: HeraldConfiguration, nameOverride: String?, environment: [String: String]
    ) -> LocalNode {
        let fromEnvironment = environment["NODE_NAME"].flatMap { $0.isEmpty ? nil : $0 }
        let name = nameOverride ?? fromEnvironment ?? config.node.name ?? hostname()
        let addresses = config.node.addresses.isEmpty ? interfaceAddresses() : config.node.addresses
        return LocalNode(name: name, labels: config.node.labels, addresses: addresses)
    }

    package static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
    }

    /// The machine's non-loopback addresses, IPv4 first.
    package static func interfaceAddresses() -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var v4: [String] = []
        var v6: [String] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0 else {
                continue
            }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else {
                continue
            }
            let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("fe80") { continue }
            if family == AF_INET { v4.append(text) } else { v6.append(text) }
        }
        return v4 + v6
    }
}
