/// How a frame reached this host, as a packet socket reports it (`sll_pkttype`, linux/if_packet.h).
package enum PacketType: UInt8, Sendable {
    case host = 0
    case broadcast = 1
    case multicast = 2
    /// Unicast to another station's hardware address (seen on promiscuous or flooding links).
    case otherHost = 3
    /// A frame this host sent.
    case outgoing = 4
}
