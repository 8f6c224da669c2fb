/// Why a received frame was dropped. Every dropped frame is counted under one of these (metric label `reason`).
package enum L2DropReason: String, CaseIterable, Sendable {
    /// Fewer bytes than the headers need.
    case short
    /// Longer than any valid frame of the protocol, or truncated by the receive buffer.
    case oversized
    /// Carries an 802.1Q/802.1ad tag (in the frame or in the packet socket's metadata).
    case vlanTagged = "vlan_tagged"
    /// An EtherType other than the protocol's.
    case wrongEtherType = "wrong_ethertype"
    /// ARP hardware/protocol type other than Ethernet/IPv4.
    case unsupportedType = "unsupported_type"
    /// Inconsistent length fields (ARP address lengths, IPv6 payload length, ICMPv6 length, option lengths).
    case badLength = "bad_length"
    /// An ARP operation other than request or reply.
    case unknownOperation = "unknown_operation"
    /// A multicast or broadcast sender hardware address.
    case badSender = "bad_sender"
    /// An ARP sender hardware address other than the frame's Ethernet source address.
    case senderMismatch = "sender_mismatch"
    /// IPv6 version field not 6.
    case badVersion = "bad_version"
    /// Next header not ICMPv6 (extension headers are not followed).
    case notICMPv6 = "not_icmpv6"
    /// RFC 4861 section 7.1.1 validity checks: hop limit, code, target, options.
    case invalidSolicitation = "invalid_solicitation"
    /// RFC 4861 section 7.1.2 validity checks of a Neighbor Advertisement: hop limit, code, target, Solicited flag.
    case invalidAdvertisement = "invalid_advertisement"
    /// ICMPv6 checksum mismatch.
    case badChecksum = "bad_checksum"
}
