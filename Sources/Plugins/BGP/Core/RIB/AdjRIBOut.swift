/// What has been sent to one peer (RFC 4271 section 3.2, Adj-RIB-Out), and the UPDATEs that bring the peer from
/// that to a desired table: withdrawals first, then announcements grouped by attributes so that each UPDATE carries
/// as many prefixes as fit.
package struct AdjRIBOut: Sendable {
    package private(set) var sent: [BGPPrefix: RouteAttributes] = [:]

    package init() {}

    /// Forgets everything: the session went down, the peer dropped (or keeps as stale) what it had.
    package mutating func reset() { sent = [:] }

    /// The UPDATEs to send, and records them as sent. Prefixes the policy cannot export are left out (and withdrawn
    /// if they were sent before).
    package mutating func sync(to desired: [BGPPrefix: RouteAttributes], policy: ExportPolicy) -> [BGPUpdate] {
        let wanted = desired.filter { policy.exports($0.key) }
        var updates: [BGPUpdate] = []
        for family in [AddressFamily.ipv4Unicast, .ipv6Unicast] {
            let gone = sent.keys.filter { $0.family == family && wanted[$0] == nil }.sorted(by: Self.order)
            updates += UpdatePacker.withdraw(gone, family: family, options: policy.codec)
            var groups: [RouteAttributes: [BGPPrefix]] = [:]
            for (prefix, attributes) in wanted where prefix.family == family && sent[prefix] != attributes {
                groups[attributes, default: []].append(prefix)
            }
            for (attributes, prefixes) in groups.sorted(by: { $0.value.count > $1.value.count }) {
                guard let nextHop = policy.nextHop(family) else { continue }
                updates += UpdatePacker.announce(
                    prefixes.sorted(by: Self.order), family: family, attributes: policy.pathAttributes(attributes),
                    nextHop: nextHop, options: policy.codec)
            }
        }
        sent = wanted
        return updates
    }

    static func order(_ a: BGPPrefix, _ b: BGPPrefix) -> Bool {
        a.address.lexicographicallyPrecedes(b.address) || (a.address == b.address && a.length < b.length)
    }
}
