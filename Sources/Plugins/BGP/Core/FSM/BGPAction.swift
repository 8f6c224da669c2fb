/// What the state machine asks the I/O layer to do, in order.
package enum BGPAction: Sendable, Equatable {
    /// Open a TCP connection to the peer (any previous one is already dropped).
    case connect
    /// Drop the TCP connection, after sending anything queued before this action.
    case disconnect
    /// Send a message on the connection.
    case send(BGPMessage)
    /// The session reached Established: send the full table, then End-of-RIB for every family (RFC 4724 section 2).
    case established(BGPNegotiated)
    /// The session left Established; why.
    case sessionDown(String)
    /// An UPDATE the peer sent, with RFC 7606 findings in its `errors`.
    case received(BGPUpdate)
}
