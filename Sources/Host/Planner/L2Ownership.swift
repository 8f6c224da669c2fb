import HeraldCore

/// Which node announces an exclusive (layer-2) service address: every host computes the same answer from the same
/// inputs, so no coordination is needed beyond agreeing on who is eligible.
///
/// The rule is MetalLB's, so that a mixed or migrating fleet agrees: the eligible nodes are ranked by
/// `sha256(node + "#" + address)`, compared as bytes, and the lowest wins. For a dual-stack service the first
/// address decides for all of them, so both families stay on one node. Removing or adding a node that does not win
/// never moves an address; removing the winner moves it to the runner-up.
package enum L2Ownership {
    /// The nodes in order of preference for `address` (ties, impossible in practice, broken by name).
    package static func rank(_ nodes: some Sequence<String>, for address: IPAddress) -> [String] {
        let text = address.description
        return nodes.map { (node: $0, key: SHA256.hash(Array("\($0)#\(text)".utf8))) }
            .sorted { a, b in a.key.lexicographicallyPrecedes(b.key) || (a.key == b.key && a.node < b.node) }
            .map(\.node)
    }

    /// The node that announces `addresses` (a service's, primary family first), or nil when no node is eligible.
    package static func owner(of addresses: [IPAddress], among eligible: some Sequence<String>) -> String? {
        guard let first = addresses.first else { return nil }
        return rank(Set(eligible), for: first).first
    }
}

extension L2Ownership {
    /// Whether the only change from `previous` to `current` is that nodes left (their lease expired or was deleted):
    /// every other node is exactly as it was, and at least one node that was live is no longer. With the addresses
    /// and the configuration unchanged too, an exclusive address this node starts to own after such a change can only
    /// have been owned by a node that left. That node stopped announcing before it left (a host withdraws a renew
    /// interval before its lease can expire, and withdraws before it deletes its lease on a graceful stop), so the
    /// address can be claimed at once, without the break-before-make delay a handover between two live nodes needs.
    package static func onlyDepartures(from previous: [NodeState], to current: [NodeState]) -> Bool {
        let before = Dictionary(previous.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(current.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var departed = false
        for (name, was) in before {
            guard let now = after[name] else {
                if was.live { departed = true }
                continue
            }
            if now == was { continue }
            var gone = was
            gone.live = false
            guard was.live, now == gone else { return false }
            departed = true
        }
        // A node that appears (or any that was not known before) is a change of another kind.
        return departed && after.keys.allSatisfy { before[$0] != nil }
    }
}
