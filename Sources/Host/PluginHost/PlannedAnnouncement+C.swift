import CHeraldPlugin
import HeraldCore

#if canImport(Glibc)
    import Glibc
#endif

extension PlannedAnnouncement {
    /// Calls `body` with a borrowed C view of the announcement; nothing in it outlives the call.
    func withCStruct<R>(_ body: (UnsafePointer<herald_announcement>) -> R) -> R {
        let arena = CStringArena()
        defer { arena.free() }
        let c = arena.copy
        let serviceList: [UnsafePointer<CChar>?] = services.map { c($0.description) }
        var a = herald_announcement()
        a.struct_size = UInt32(MemoryLayout<herald_announcement>.size)
        a.id = c(id)
        a.family = UInt8(address.family == .ipv4 ? HERALD_FAMILY_IPV4 : HERALD_FAMILY_IPV6)
        a.prefix_length = UInt8(prefixLength)
        withUnsafeMutableBytes(of: &a.address) { raw in
            for (index, byte) in address.bytes.enumerated() { raw[index] = byte }
        }
        a.address_text = c(address.description)
        a.attributes_json = c(attributesJSON)
        a.advertisement = c(advertisement)
        return serviceList.withUnsafeBufferPointer { list in
            a.services = list.baseAddress
            a.service_count = list.count
            return withUnsafePointer(to: &a) { body($0) }
        }
    }
}

extension LocalNode {
    func withCStruct<R>(_ body: (UnsafePointer<herald_node_info>) -> R) -> R {
        let arena = CStringArena()
        defer { arena.free() }
        let c = arena.copy
        let pairs = labels.sorted { $0.key < $1.key }.map { herald_kv(key: c($0.key), value: c($0.value)) }
        let addressList: [UnsafePointer<CChar>?] = addresses.map { c($0) }
        var n = herald_node_info()
        n.struct_size = UInt32(MemoryLayout<herald_node_info>.size)
        n.name = c(name)
        return pairs.withUnsafeBufferPointer { labelBuffer in
            addressList.withUnsafeBufferPointer { addressBuffer in
                n.labels = labelBuffer.baseAddress
                n.label_count = labelBuffer.count
                n.addresses = addressBuffer.baseAddress
                n.address_count = addressBuffer.count
                return withUnsafePointer(to: &n) { body($0) }
            }
        }
    }
}

/// C copies of Swift strings for the duration of one call into a plugin; freed together afterwards.
final class CStringArena {
    private var strings: [UnsafeMutablePointer<CChar>] = []

    func copy(_ s: String) -> UnsafePointer<CChar> {
        let p = strdup(s)!
        strings.append(p)
        return UnsafePointer(p)
    }

    func free() {
        strings.forEach { Glibc.free($0) }
        strings = []
    }
}
