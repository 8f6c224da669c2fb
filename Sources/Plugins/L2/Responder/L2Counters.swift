/// Counters of one responder, exported as metrics. Per-address counters end when their address is no longer announced
/// (`forget`), so the metric series follow the announced addresses and do not grow with churn; an address announced
/// again starts from zero (a counter reset, which rate functions handle).
package struct L2Counters: Sendable {
    /// Every frame handed to the responder.
    package var frames: UInt64 = 0
    /// Requests (ARP requests, Neighbor Solicitations) for an announced address, by address text.
    package var requests: [String: UInt64] = [:]
    /// Replies sent, by address text.
    package var replies: [String: UInt64] = [:]
    /// Gratuitous ARPs or unsolicited advertisements sent, by address text.
    package var gratuitous: [String: UInt64] = [:]
    /// Frames dropped as malformed or unsupported, by reason.
    package var drops: [L2DropReason: UInt64] = [:]
    /// Frames in which another station claimed an announced address (a duplicate address), by address text.
    package var conflicts: [String: UInt64] = [:]
    /// Well-formed frames that needed no answer (other addresses, replies, other hosts' traffic).
    package var ignored: UInt64 = 0

    package init() {}

    package var totalDrops: UInt64 { drops.values.reduce(0, +) }

    /// Drops every per-address counter of `address` (its text).
    package mutating func forget(_ address: String) {
        requests[address] = nil
        replies[address] = nil
        gratuitous[address] = nil
        conflicts[address] = nil
    }
}
