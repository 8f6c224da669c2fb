#if canImport(HeraldAddresses)
    import HeraldAddresses  // scripts/fuzz-l2 compiles the address sources into the codec's module instead
#endif

/// The Internet checksum of an ICMPv6 message over the IPv6 pseudo-header (RFC 4443 section 2.3, RFC 8200
/// section 8.1).
package enum ICMPv6Checksum {
    /// The checksum to store in the message (with its checksum field zero), or 0 when verifying a message whose
    /// checksum field is filled in and correct.
    package static func compute(
        source: IPv6Address, destination: IPv6Address, message: UnsafeRawBufferPointer
    ) -> UInt16 {
        var sum: UInt64 = 0
        for half in [source.high, source.low, destination.high, destination.low] {
            sum += half >> 48 + (half >> 32 & 0xFFFF) + (half >> 16 & 0xFFFF) + (half & 0xFFFF)
        }
        sum += UInt64(message.count >> 16) + UInt64(message.count & 0xFFFF) + 58
        var index = 0
        while index + 1 < message.count {
            sum += UInt64(message[index]) << 8 | UInt64(message[index + 1])
            index += 2
        }
        if index < message.count { sum += UInt64(message[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
