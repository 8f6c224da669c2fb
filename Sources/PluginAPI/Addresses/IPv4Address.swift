/// An IPv4 address as a 32-bit value in host order (the first octet in the high byte).
///
/// The plugins' one IPv4 address type. It lives in `HeraldAddresses`, a module with no dependencies and no I/O, so
/// that the pure codecs (`HeraldBGP`, the layer-2 codecs) can use it without linking the ABI, and so that the fuzz
/// scripts can compile it along with them; PluginKit re-exports it, and adds parsing from text.
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    /// The address; the first octet is the high byte.
    public var value: UInt32

    /// The address with this value (the first octet in the high byte).
    public init(_ value: UInt32) { self.value = value }

    /// Reads four bytes in network order at `offset`; the caller has checked that they exist.
    public init(_ buffer: UnsafeRawBufferPointer, at offset: Int) {
        value =
            UInt32(buffer[offset]) << 24 | UInt32(buffer[offset + 1]) << 16 | UInt32(buffer[offset + 2]) << 8
            | UInt32(buffer[offset + 3])
    }

    /// From exactly four bytes in network order; nil otherwise.
    public init?(_ array: [UInt8]) {
        guard array.count == 4 else { return nil }
        value = UInt32(array[0]) << 24 | UInt32(array[1]) << 16 | UInt32(array[2]) << 8 | UInt32(array[3])
    }

    /// 0.0.0.0.
    public static let unspecified = IPv4Address(0)

    /// The four bytes in network order.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        append(to: &out)
        return out
    }

    /// Appends the four bytes in network order.
    public func append(to out: inout [UInt8]) {
        out += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// Dotted-quad text (`192.0.2.10`).
    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}
