/// Rate limit of conflict reports: at most one per address per window, so that a flood of frames claiming our
/// addresses cannot flood the API server with Events. Keyed by the address alone: a claimant that changes its hardware
/// address gets no more reports. Pure: the caller passes the monotonic time in nanoseconds.
package struct ConflictLimiter: Sendable {
    package let window: UInt64
    /// The time of the last report admitted, by address text.
    package private(set) var last: [String: UInt64] = [:]

    /// - Parameter window: nanoseconds between two reports for one address (30 s by default).
    package init(window: UInt64 = 30_000_000_000) { self.window = window }

    /// True when a report for `address` may go out at `now`, which then counts as its last report.
    package mutating func admit(_ address: String, now: UInt64) -> Bool {
        if let previous = last[address], now &- previous < window { return false }
        // Forget addresses whose window has passed before the table grows; it holds only announced addresses.
        if last.count >= 256 { last = last.filter { now &- $0.value < window } }
        last[address] = now
        return true
    }

    /// Forgets every address `keep` rejects (the caller keeps the addresses it still announces), so the table is
    /// bounded by the announced addresses.
    package mutating func retain(_ keep: (String) -> Bool) {
        last = last.filter { keep($0.key) }
    }
}
