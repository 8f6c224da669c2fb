/// What a responder decided for one received frame.
public enum L2Action: Equatable, Sendable {
    /// Send this frame on the interface the request came from.
    case reply([UInt8])
    /// Malformed or unsupported: dropped and counted.
    case drop(L2DropReason)
    /// Well-formed but needs no answer.
    case ignore
}

/// A change of link-layer multicast membership that the I/O layer applies on every selected interface.
public enum L2Membership: Equatable, Sendable {
    case join(MACAddress)
    case leave(MACAddress)
}
