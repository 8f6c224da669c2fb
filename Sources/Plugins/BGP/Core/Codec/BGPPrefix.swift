#if canImport(HeraldAddresses)
    import HeraldAddresses  // scripts/fuzz-bgp compiles the address sources into the codec's module instead
#endif

/// An IPv4 or IPv6 prefix as NLRI carries it (RFC 4271 section 4.3, RFC 4760 section 5): a length in bits and the
/// address bytes, with every bit past the length cleared.
package struct BGPPrefix: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    package let address: [UInt8]
    package let length: UInt8

    /// Nil when the address is neither 4 nor 16 bytes or the length exceeds its width.
    package init?(address: [UInt8], length: Int) {
        guard address.count == 4 || address.count == 16, length >= 0, length <= address.count * 8 else { return nil }
        var masked = address
        for index in 0..<masked.count {
            let bitsBefore = index * 8
            if bitsBefore >= length {
                masked[index] = 0
            } else if bitsBefore + 8 > length {
                masked[index] &= UInt8(0xFF) << UInt8(8 - (length - bitsBefore))
            }
        }
        self.address = masked
        self.length = UInt8(length)
    }

    package var isIPv4: Bool { address.count == 4 }
    package var family: AddressFamily { isIPv4 ? .ipv4Unicast : .ipv6Unicast }

    /// The NLRI encoding: the length octet and the significant address octets.
    var encodedLength: Int { 1 + (Int(length) + 7) / 8 }

    func encode(into out: inout [UInt8]) {
        out.append(length)
        out.append(contentsOf: address.prefix((Int(length) + 7) / 8))
    }

    /// Reads prefixes until the field ends. Nil when a prefix is longer than the family allows or overruns the
    /// field: RFC 7606 section 5.3 makes that a session reset, since no later prefix can be located.
    static func decodeList(_ bytes: ArraySlice<UInt8>, width: Int) -> [BGPPrefix]? {
        var reader = ByteReader(bytes)
        var prefixes: [BGPPrefix] = []
        while !reader.isAtEnd {
            guard let length = reader.u8(), Int(length) <= width * 8,
                let significant = reader.slice((Int(length) + 7) / 8)
            else { return nil }
            var address = [UInt8](repeating: 0, count: width)
            for (offset, byte) in significant.enumerated() { address[offset] = byte }
            guard let prefix = BGPPrefix(address: address, length: Int(length)) else { return nil }
            prefixes.append(prefix)
        }
        return prefixes
    }

    package var description: String { "\(BGPPrefix.text(address))/\(length)" }

    /// An address as text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed); bytes of any
    /// other count as hex separated by colons.
    package static func text(_ address: [UInt8]) -> String {
        if let v4 = IPv4Address(address) { return v4.description }
        if let v6 = IPv6Address(address) { return v6.description }
        return address.map { String($0, radix: 16) }.joined(separator: ":")
    }
}
