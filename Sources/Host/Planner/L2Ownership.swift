import HeraldCore

/// Which node announces an exclusive (layer-2) service address: every host computes the same answer from the same
/// inputs, so no coordination is needed beyond agreeing on who is eligible.
///
/// The rule is MetalLB's, so that a mixed or migrating fleet agrees: the eligible nodes are ranked by
/// `sha256(node + "#" + address)`, compared as bytes, and the lowest wins. For a dual-stack service the first
/// address decides for all of them, so both families stay on one node. Removing or adding a node that does not win
/// never moves an address; removing the winner moves it to the runner-up.
public enum L2Ownership {
    /// The nodes in order of preference for `address` (ties, impossible in practice, broken by name).
    public static func rank(_ nodes: some Sequence<String>, for address: IPAddress) -> [String] {
        let text = address.description
        return nodes.map { (node: $0, key: SHA256.hash(Array("\($0)#\(text)".utf8))) }
            .sorted { a, b in a.key.lexicographicallyPrecedes(b.key) || (a.key == b.key && a.node < b.node) }
            .map(\.node)
    }

    /// The node that announces `addresses` (a service's, primary family first), or nil when no node is eligible.
    public static func owner(of addresses: [IPAddress], among eligible: some Sequence<String>) -> String? {
        guard let first = addresses.first else { return nil }
        return rank(Set(eligible), for: first).first
    }
}
