/// An IPv4 address as a 32-bit integer in host order. Parsing accepts only the strict dotted-quad form.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses `a.b.c.d` with each part 0...255 in decimal, without leading zeros (which some tools read as octal).
    /// Inlinable, so that callers in other modules get it specialized for their string type: read through the
    /// generic `StringProtocol` interface, every byte cost witness calls (the speaker parses every Service's status
    /// addresses on every pass).
    @inlinable
    public init?(_ text: some StringProtocol) {
        var result: UInt32 = 0
        var parts = 0
        var current: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if digits == 1 && leadingZero { return nil }
                if digits == 0 && byte == UInt8(ascii: "0") { leadingZero = true }
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                if digits > 3 || current > 255 { return nil }
            case UInt8(ascii: "."):
                guard digits > 0, parts < 3 else { return nil }
                result = result << 8 | current
                parts += 1
                current = 0
                digits = 0
                leadingZero = false
            default:
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        self.value = result << 8 | current
    }

    /// The four bytes in network order.
    public var bytes: [UInt8] {
        [
            UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
            UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value),
        ]
    }

    /// `a.b.c.d`, written into the string's own storage: at most 15 bytes, so the result needs no allocation (the
    /// planner writes one per address on every pass, in its announcement ids).
    public var description: String {
        String(unsafeUninitializedCapacity: 15) { buffer in
            var count = 0
            for shift in [24, 16, 8, 0] as [UInt32] {
                let byte = UInt8(truncatingIfNeeded: value >> shift)
                if shift != 24 {
                    buffer[count] = UInt8(ascii: ".")
                    count += 1
                }
                if byte >= 100 {
                    buffer[count] = UInt8(ascii: "0") + byte / 100
                    count += 1
                }
                if byte >= 10 {
                    buffer[count] = UInt8(ascii: "0") + byte / 10 % 10
                    count += 1
                }
                buffer[count] = UInt8(ascii: "0") + byte % 10
                count += 1
            }
            return count
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}
