/// A 48-bit IEEE 802 hardware address, stored inline (no allocation).
package struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    package var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    package init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8, _ b4: UInt8, _ b5: UInt8) {
        bytes = (b0, b1, b2, b3, b4, b5)
    }

    /// Reads six bytes at `offset`; the caller has checked that they exist.
    package init(_ buffer: UnsafeRawBufferPointer, at offset: Int) {
        self.init(
            buffer[offset], buffer[offset + 1], buffer[offset + 2], buffer[offset + 3], buffer[offset + 4],
            buffer[offset + 5])
    }

    /// From an array of exactly six bytes; nil otherwise.
    package init?(_ array: [UInt8]) {
        guard array.count == 6 else { return nil }
        self.init(array[0], array[1], array[2], array[3], array[4], array[5])
    }

    package static let zero = MACAddress(0, 0, 0, 0, 0, 0)
    package static let broadcast = MACAddress(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)

    /// The group bit: multicast and broadcast addresses are never a valid sender.
    package var isMulticast: Bool { bytes.0 & 1 == 1 }

    package var array: [UInt8] { [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5] }

    package func append(to out: inout [UInt8]) {
        out += [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5]
    }

    package var description: String {
        array.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }

    package static func == (a: MACAddress, b: MACAddress) -> Bool { a.bytes == b.bytes }
    package func hash(into hasher: inout Hasher) { hasher.combine(array) }
}
