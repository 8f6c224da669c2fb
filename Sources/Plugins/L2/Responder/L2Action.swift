/// What a responder decided for one received frame.
package enum L2Action: Equatable, Sendable {
    /// Send this frame on the interface the request came from.
    case reply([UInt8])
    /// Malformed or unsupported: dropped and counted.
    case drop(L2DropReason)
    /// Well-formed but needs no answer.
    case ignore
    /// Another station claims an address we announce on this interface; `reply` is the answer the frame still gets
    /// (a request from that station for another of our addresses), nil when it needs none.
    case conflict(L2Conflict, reply: [UInt8]?)

    /// The frame to send back, if any (a reply, or the answer that goes with a conflict).
    package var frameToSend: [UInt8]? {
        switch self {
        case .reply(let bytes): bytes
        case .conflict(_, let reply): reply
        case .drop, .ignore: nil
        }
    }
}

/// A received frame in which another station claims an address we announce: a duplicate address on the segment.
package struct L2Conflict: Equatable, Sendable {
    /// The address, as text ("198.51.100.130", "2001:db8::50").
    package var address: String
    /// The announcement ids that cover the address on the interface the frame came from, sorted.
    package var announcementIDs: [String]
    /// The other station's hardware address.
    package var otherMAC: MACAddress

    package init(address: String, announcementIDs: [String], otherMAC: MACAddress) {
        self.address = address
        self.announcementIDs = announcementIDs
        self.otherMAC = otherMAC
    }
}

/// A change of link-layer multicast membership that the I/O layer applies on every selected interface.
package enum L2Membership: Equatable, Sendable {
    case join(MACAddress)
    case leave(MACAddress)
}
