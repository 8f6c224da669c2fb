/// Reference counts of joined link-layer multicast groups. Several addresses share a solicited-node group when their
/// last 24 bits are equal (RFC 4291 section 2.7.1); the group is joined for the first and left after the last.
package struct MulticastGroups: Sendable {
    package private(set) var counts: [MACAddress: Int] = [:]

    package init() {}

    /// Adds a reference; true when the group must now be joined.
    package mutating func retain(_ group: MACAddress) -> Bool {
        counts[group, default: 0] += 1
        return counts[group] == 1
    }

    /// Drops a reference; true when the group must now be left. Releasing an unknown group does nothing.
    package mutating func release(_ group: MACAddress) -> Bool {
        guard let count = counts[group] else { return false }
        if count <= 1 {
            counts[group] = nil
            return true
        }
        counts[group] = count - 1
        return false
    }

    package var groups: [MACAddress] { Array(counts.keys) }
}
