/// A COMMUNITIES value (RFC 1997): two 16-bit halves, conventionally `ASN:value`.
package struct Community: Hashable, Sendable, CustomStringConvertible {
    package var value: UInt32

    package init(_ value: UInt32) { self.value = value }
    package init(asn: UInt16, local: UInt16) { self.value = UInt32(asn) << 16 | UInt32(local) }

    /// Well-known communities by the names operators use (RFC 1997 section "Well-known Communities", RFC 3765,
    /// RFC 7999, RFC 8326, RFC 7611).
    package static let wellKnown: [String: UInt32] = [
        "no-export": 0xFFFF_FF01,
        "no-advertise": 0xFFFF_FF02,
        "no-export-subconfed": 0xFFFF_FF03,
        "local-as": 0xFFFF_FF03,
        "nopeer": 0xFFFF_FF04,
        "blackhole": 0xFFFF_029A,
        "graceful-shutdown": 0xFFFF_0000,
        "accept-own": 0xFFFF_0001,
    ]

    /// Parses `64512:100` (each half 0...65535) or a well-known name; nil otherwise.
    package init?(text: String) {
        if let known = Self.wellKnown[text.lowercased()] {
            self.init(known)
            return
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let high = UInt16(parts[0]), let low = UInt16(parts[1]) else { return nil }
        self.init(asn: high, local: low)
    }

    package var description: String { "\(value >> 16):\(value & 0xFFFF)" }
}

/// A LARGE_COMMUNITY value (RFC 8092 section 3): global administrator, and two local data parts, 32 bits each.
package struct LargeCommunity: Hashable, Sendable, CustomStringConvertible {
    package var global: UInt32
    package var local1: UInt32
    package var local2: UInt32

    package init(_ global: UInt32, _ local1: UInt32, _ local2: UInt32) {
        self.global = global
        self.local1 = local1
        self.local2 = local2
    }

    /// Parses `64512:1:2` (RFC 8195 section 2 notation); nil otherwise.
    package init?(text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let a = UInt32(parts[0]), let b = UInt32(parts[1]), let c = UInt32(parts[2]) else {
            return nil
        }
        self.init(a, b, c)
    }

    package var description: String { "\(global):\(local1):\(local2)" }
}
