#if canImport(HeraldAddresses)
    import HeraldAddresses  // scripts/fuzz-l2 compiles the address sources into the codec's module instead
#endif

extension IPv6Address {
    /// The Ethernet multicast address for an IPv6 multicast group: 33:33 and the group's last 32 bits (RFC 2464
    /// section 7).
    package var multicastMAC: MACAddress {
        MACAddress(
            0x33, 0x33, UInt8(low >> 24 & 0xFF), UInt8(low >> 16 & 0xFF), UInt8(low >> 8 & 0xFF), UInt8(low & 0xFF))
    }
}
