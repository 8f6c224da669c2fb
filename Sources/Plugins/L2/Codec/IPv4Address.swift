/// An IPv4 address as a 32-bit value in host order (the first octet in the high byte).
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt32

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

    public static let unspecified = IPv4Address(0)

    public func append(to out: inout [UInt8]) {
        out += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }
}
