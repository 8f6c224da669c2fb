/// What a session agreed on once both OPENs were exchanged.
package struct BGPNegotiated: Sendable, Equatable {
    /// The smaller of the two proposed hold times (RFC 4271 section 4.2); 0 means no hold timer and no keepalives.
    package var holdTime: UInt16
    package var keepaliveTime: UInt16
    /// Families both speakers advertised; IPv4 unicast when the peer advertised no Multiprotocol capability at all
    /// (RFC 4760 section 1 keeps IPv4 unicast as the default).
    package var families: [AddressFamily]
    package var codec: BGPCodecOptions
    package var peerIdentifier: UInt32
    package var peerASN: UInt32
    /// The peer's Graceful Restart capability, if it sent one.
    package var peerGracefulRestart: BGPCapability.GracefulRestart?

    package init(local: BGPSessionSettings, peer: BGPOpen) {
        holdTime = min(local.holdTime, peer.holdTime)
        let third = holdTime / 3
        keepaliveTime = local.keepaliveTime.map { min($0, third) } ?? third
        let offered = peer.families.isEmpty ? [AddressFamily.ipv4Unicast] : peer.families
        families = local.families.filter(offered.contains)
        let extended = local.extendedMessages && peer.has(.extendedMessage)
        let fourOctet = peer.capabilities.contains { if case .fourOctetAS = $0 { true } else { false } }
        codec = BGPCodecOptions(
            fourOctetAS: fourOctet,
            maxMessageLength: extended ? BGPLimits.maxExtendedMessageLength : BGPLimits.maxMessageLength)
        peerIdentifier = peer.identifier
        peerASN = peer.asn
        peerGracefulRestart = peer.gracefulRestart
    }
}
