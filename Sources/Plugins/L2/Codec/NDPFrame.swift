#if canImport(HeraldAddresses)
    import HeraldAddresses  // scripts/fuzz-l2 compiles the address sources into the codec's module instead
#endif

/// Ethernet frames carrying IPv6 Neighbor Discovery messages (RFC 4861): parsing of Neighbor Solicitations and
/// Advertisements, and encoding of Neighbor Advertisements.
///
/// Pure and bounded: `parse` checks every length before reading, walks at most the frame's own options (each at
/// least 8 bytes), and never traps on any input. This file depends only on the other codec files and the address
/// types, so that `scripts/fuzz-l2` can compile the codec on its own.
package enum NDPFrame {
    package static let etherType: UInt16 = 0x86DD
    /// Ethernet (14) + IPv6 (40) + the fixed part of a Neighbor Solicitation (24).
    package static let minimumSolicitationLength = 14 + 40 + 24
    /// A full 1500-byte IPv6 packet plus the Ethernet header.
    package static let maximumLength = 1514
    static let icmpv6: UInt8 = 58
    static let solicitationType: UInt8 = 135
    static let advertisementType: UInt8 = 136

    /// A Neighbor Solicitation (RFC 4861 section 4.3) that passed the validity checks of section 7.1.1.
    package struct Solicitation: Equatable, Sendable {
        package var ethernetDestination: MACAddress
        package var ethernetSource: MACAddress
        package var source: IPv6Address
        package var destination: IPv6Address
        package var target: IPv6Address
        /// The Source Link-Layer Address option, absent in unicast NUD probes and in DAD probes.
        package var sourceLinkLayer: MACAddress?

        package init(
            ethernetDestination: MACAddress, ethernetSource: MACAddress, source: IPv6Address,
            destination: IPv6Address, target: IPv6Address, sourceLinkLayer: MACAddress?
        ) {
            self.ethernetDestination = ethernetDestination
            self.ethernetSource = ethernetSource
            self.source = source
            self.destination = destination
            self.target = target
            self.sourceLinkLayer = sourceLinkLayer
        }
    }

    /// A Neighbor Advertisement (RFC 4861 section 4.4) that passed the validity checks of section 7.1.2.
    package struct Advertisement: Equatable, Sendable {
        package var ethernetSource: MACAddress
        package var source: IPv6Address
        package var destination: IPv6Address
        package var target: IPv6Address
        package var flags: AdvertisementFlags
        /// The Target Link-Layer Address option, if present.
        package var targetLinkLayer: MACAddress?

        package init(
            ethernetSource: MACAddress, source: IPv6Address, destination: IPv6Address, target: IPv6Address,
            flags: AdvertisementFlags, targetLinkLayer: MACAddress?
        ) {
            self.ethernetSource = ethernetSource
            self.source = source
            self.destination = destination
            self.target = target
            self.flags = flags
            self.targetLinkLayer = targetLinkLayer
        }

        /// The link-layer address that claims the target: the option's, else the frame's Ethernet source.
        package var claimant: MACAddress { targetLinkLayer ?? ethernetSource }
    }

    /// The outcome of parsing untrusted bytes.
    package enum ParseResult: Equatable, Sendable {
        case solicitation(Solicitation)
        case advertisement(Advertisement)
        /// A well-formed IPv6 frame that is neither a Neighbor Solicitation nor an Advertisement (or, from
        /// `parseSolicitation`, not a Solicitation): not for us, not an error.
        case ignore
        case drop(L2DropReason)
    }

    /// Parses an Ethernet frame as received from a packet socket (no frame check sequence), as a Neighbor
    /// Solicitation only: an advertisement is `.ignore`.
    package static func parseSolicitation(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        let result = parse(bytes)
        if case .advertisement = result { return .ignore }
        return result
    }

    /// Parses an Ethernet frame as received from a packet socket (no frame check sequence): a Neighbor Solicitation
    /// or a Neighbor Advertisement.
    package static func parse(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        if bytes.count > maximumLength { return .drop(.oversized) }
        if bytes.count < 14 { return .drop(.short) }
        let etherType = UInt16(bytes[12]) << 8 | UInt16(bytes[13])
        if etherType == 0x8100 || etherType == 0x88A8 { return .drop(.vlanTagged) }
        if etherType != Self.etherType { return .drop(.wrongEtherType) }
        if bytes.count < 54 { return .drop(.short) }
        if bytes[14] >> 4 != 6 { return .drop(.badVersion) }
        let payloadLength = Int(bytes[18]) << 8 | Int(bytes[19])
        if 54 + payloadLength > bytes.count { return .drop(.badLength) }
        if bytes[20] != icmpv6 { return .drop(.notICMPv6) }
        if payloadLength < 4 { return .drop(.badLength) }
        if bytes[54] == advertisementType { return parseAdvertisement(bytes, payloadLength: payloadLength) }
        if bytes[54] != solicitationType { return .ignore }
        // RFC 4861 section 7.1.1: the checks every Neighbor Discovery message needs, target not multicast, and no
        // source link-layer option from the unspecified address, which may only solicit through a solicited-node
        // multicast destination.
        let source: IPv6Address
        let destination: IPv6Address
        switch checkMessage(bytes, payloadLength: payloadLength, invalid: .invalidSolicitation) {
        case .drop(let reason): return .drop(reason)
        case .valid(let s, let d): (source, destination) = (s, d)
        }
        let target = IPv6Address(bytes, at: 62)
        if target.isMulticast { return .drop(.invalidSolicitation) }
        let sourceLinkLayer: MACAddress?
        switch linkLayerOption(1, bytes, payloadLength: payloadLength) {
        case .drop(let reason): return .drop(reason)
        case .found(let mac): sourceLinkLayer = mac
        }
        if source == .unspecified {
            if sourceLinkLayer != nil || destination != target.solicitedNode { return .drop(.invalidSolicitation) }
        }
        if let sourceLinkLayer, sourceLinkLayer.isMulticast { return .drop(.badSender) }
        return .solicitation(
            Solicitation(
                ethernetDestination: MACAddress(bytes, at: 0),
                ethernetSource: MACAddress(bytes, at: 6),
                source: source,
                destination: destination,
                target: target,
                sourceLinkLayer: sourceLinkLayer
            ))
    }

    /// RFC 4861 section 7.1.2: the checks every Neighbor Discovery message needs, target not multicast, and the
    /// Solicited flag clear when sent to a multicast destination. The caller has checked the Ethernet and IPv6 headers
    /// and that the payload lies within `bytes`.
    static func parseAdvertisement(_ bytes: UnsafeRawBufferPointer, payloadLength: Int) -> ParseResult {
        let source: IPv6Address
        let destination: IPv6Address
        switch checkMessage(bytes, payloadLength: payloadLength, invalid: .invalidAdvertisement) {
        case .drop(let reason): return .drop(reason)
        case .valid(let s, let d): (source, destination) = (s, d)
        }
        let flags = AdvertisementFlags(rawValue: bytes[58] & 0xE0)
        let target = IPv6Address(bytes, at: 62)
        if target.isMulticast { return .drop(.invalidAdvertisement) }
        if destination.isMulticast, flags.contains(.solicited) { return .drop(.invalidAdvertisement) }
        let targetLinkLayer: MACAddress?
        switch linkLayerOption(2, bytes, payloadLength: payloadLength) {
        case .drop(let reason): return .drop(reason)
        case .found(let mac): targetLinkLayer = mac
        }
        // The claimant (the option's address, else the Ethernet source) must be a station's.
        let ethernetSource = MACAddress(bytes, at: 6)
        if (targetLinkLayer ?? ethernetSource).isMulticast { return .drop(.badSender) }
        return .advertisement(
            Advertisement(
                ethernetSource: ethernetSource, source: source, destination: destination, target: target,
                flags: flags, targetLinkLayer: targetLinkLayer))
    }

    enum MessageCheck {
        case valid(source: IPv6Address, destination: IPv6Address)
        case drop(L2DropReason)
    }

    /// What RFC 4861 sections 7.1.1 and 7.1.2 ask of every Neighbor Solicitation and Advertisement: an ICMP length of
    /// 24 or more, hop limit 255, code 0 (else `invalid`), and a valid checksum.
    static func checkMessage(
        _ bytes: UnsafeRawBufferPointer, payloadLength: Int, invalid: L2DropReason
    ) -> MessageCheck {
        if payloadLength < 24 { return .drop(.badLength) }
        if bytes[21] != 255 || bytes[55] != 0 { return .drop(invalid) }
        let source = IPv6Address(bytes, at: 22)
        let destination = IPv6Address(bytes, at: 38)
        let icmp = UnsafeRawBufferPointer(rebasing: bytes[54..<(54 + payloadLength)])
        if ICMPv6Checksum.compute(source: source, destination: destination, message: icmp) != 0 {
            return .drop(.badChecksum)
        }
        return .valid(source: source, destination: destination)
    }

    enum OptionSearch {
        case found(MACAddress?)
        case drop(L2DropReason)
    }

    /// The link-layer address option of `type` (1 source, 2 target: RFC 4861 section 4.6.1; 6 bytes on Ethernet)
    /// among the options after the 24-byte message, the last one if several; every option must have a non-zero length
    /// within the payload.
    static func linkLayerOption(_ type: UInt8, _ bytes: UnsafeRawBufferPointer, payloadLength: Int) -> OptionSearch {
        var found: MACAddress?
        var offset = 78
        let end = 54 + payloadLength
        while offset < end {
            guard end - offset >= 2 else { return .drop(.badLength) }
            let length = Int(bytes[offset + 1]) * 8
            guard length > 0, offset + length <= end else { return .drop(.badLength) }
            if bytes[offset] == type, length >= 8 { found = MACAddress(bytes, at: offset + 2) }
            offset += length
        }
        return .found(found)
    }

    /// Parses a byte array (convenience for tests and tools).
    package static func parseSolicitation(_ bytes: [UInt8]) -> ParseResult {
        bytes.withUnsafeBytes { parseSolicitation($0) }
    }

    /// Parses a byte array (convenience for tests and tools).
    package static func parse(_ bytes: [UInt8]) -> ParseResult {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// Flags of a Neighbor Advertisement (RFC 4861 section 4.4).
    package struct AdvertisementFlags: OptionSet, Sendable {
        package let rawValue: UInt8
        package init(rawValue: UInt8) { self.rawValue = rawValue }
        package static let router = AdvertisementFlags(rawValue: 0x80)
        package static let solicited = AdvertisementFlags(rawValue: 0x40)
        package static let override = AdvertisementFlags(rawValue: 0x20)
    }

    /// A Neighbor Advertisement frame (RFC 4861 section 4.4) with a Target Link-Layer Address option, hop limit 255
    /// and a correct ICMPv6 checksum.
    package static func advertisement(
        ethernetDestination: MACAddress, mac: MACAddress, source: IPv6Address, destination: IPv6Address,
        target: IPv6Address, flags: AdvertisementFlags
    ) -> [UInt8] {
        var icmp: [UInt8] = [advertisementType, 0, 0, 0, flags.rawValue, 0, 0, 0]
        target.append(to: &icmp)
        icmp += [2, 1]  // Target Link-Layer Address option, 8 bytes (RFC 4861 section 4.6.1)
        mac.append(to: &icmp)
        let checksum = icmp.withUnsafeBytes {
            ICMPv6Checksum.compute(source: source, destination: destination, message: $0)
        }
        icmp[2] = UInt8(checksum >> 8)
        icmp[3] = UInt8(checksum & 0xFF)

        var out: [UInt8] = []
        out.reserveCapacity(14 + 40 + icmp.count)
        ethernetDestination.append(to: &out)
        mac.append(to: &out)
        out += [0x86, 0xDD, 0x60, 0, 0, 0, UInt8(icmp.count >> 8), UInt8(icmp.count & 0xFF), icmpv6, 255]
        source.append(to: &out)
        destination.append(to: &out)
        out += icmp
        return out
    }

    /// The answer to a solicitation for an address this node owns (RFC 4861 section 7.2.4): from the target address
    /// itself, unicast to the asker with S=1 O=1; or to all nodes with S=0 O=1 when the asker is the unspecified
    /// address (a DAD probe). The link-layer destination is the option's address, else the frame's Ethernet source
    /// (unicast NUD probes carry no option).
    package static func answer(to s: Solicitation, mac: MACAddress) -> [UInt8] {
        if s.source == .unspecified {
            return advertisement(
                ethernetDestination: IPv6Address.allNodes.multicastMAC, mac: mac, source: s.target,
                destination: .allNodes, target: s.target, flags: [.override])
        }
        return advertisement(
            ethernetDestination: s.sourceLinkLayer ?? s.ethernetSource, mac: mac, source: s.target,
            destination: s.source, target: s.target, flags: [.solicited, .override])
    }

    /// An unsolicited advertisement announcing a takeover (RFC 4861 section 7.2.6): to ff02::1, S=0 O=1.
    package static func unsolicited(_ address: IPv6Address, mac: MACAddress) -> [UInt8] {
        advertisement(
            ethernetDestination: IPv6Address.allNodes.multicastMAC, mac: mac, source: address,
            destination: .allNodes, target: address, flags: [.override])
    }
}
