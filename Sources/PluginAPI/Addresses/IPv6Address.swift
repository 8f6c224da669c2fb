/// An IPv6 address as two 64-bit halves in host order (the first octet in the high byte of `high`).
///
/// The plugins' one IPv6 address type; see `IPv4Address` for why it lives in `HeraldAddresses`.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    /// The first eight bytes; the first octet is the high byte.
    public var high: UInt64
    /// The last eight bytes; the ninth octet is the high byte.
    public var low: UInt64

    /// The address with these halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Reads sixteen bytes in network order at `offset`; the caller has checked that they exist.
    public init(_ buffer: UnsafeRawBufferPointer, at offset: Int) {
        var h: UInt64 = 0
        var l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(buffer[offset + i]) }
        for i in 8..<16 { l = l << 8 | UInt64(buffer[offset + i]) }
        self.init(high: h, low: l)
    }

    /// From exactly sixteen bytes in network order; nil otherwise.
    public init?(_ array: [UInt8]) {
        guard array.count == 16 else { return nil }
        let parsed = array.withUnsafeBytes { IPv6Address($0, at: 0) }
        self = parsed
    }

    /// `::`.
    public static let unspecified = IPv6Address(high: 0, low: 0)
    /// ff02::1, the link-local all-nodes group (RFC 4291 section 2.7.1).
    public static let allNodes = IPv6Address(high: 0xFF02_0000_0000_0000, low: 1)

    /// In ff00::/8.
    public var isMulticast: Bool { high >> 56 == 0xFF }

    /// Link-local unicast: in fe80::/10 (RFC 4291 section 2.5.6).
    public var isLinkLocal: Bool { high >> 54 == 0xFE80 >> 6 }

    /// The solicited-node multicast address ff02::1:ffXX:XXXX for this address (RFC 4291 section 2.7.1).
    public var solicitedNode: IPv6Address {
        IPv6Address(high: 0xFF02_0000_0000_0000, low: 0x0000_0001_FF00_0000 | (low & 0xFF_FFFF))
    }

    /// The sixteen bytes in network order.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        append(to: &out)
        return out
    }

    /// Appends the sixteen bytes in network order.
    public func append(to out: inout [UInt8]) {
        for i in stride(from: 56, through: 0, by: -8) { out.append(UInt8(high >> UInt64(i) & 0xFF)) }
        for i in stride(from: 56, through: 0, by: -8) { out.append(UInt8(low >> UInt64(i) & 0xFF)) }
    }

    /// Text form of RFC 5952 section 4: lower-case hex, leading zeros dropped, the longest run of two or more zero
    /// groups (the first on a tie) written as `::`.
    public var description: String {
        let groups = (0..<8).map { i -> UInt16 in
            let half = i < 4 ? high : low
            return UInt16(half >> UInt64((3 - i % 4) * 16) & 0xFFFF)
        }
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}
