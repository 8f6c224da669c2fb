import HeraldConfig
import HeraldCore

/// Decides what each plugin instance on this node announces. Pure: the same inputs give the same plan on every host.
///
/// For each service address and each advertisement that covers its pool: the nodes that may announce it are the
/// eligible ones (``Eligibility``); through an *exclusive* (layer-2) instance only the elected owner among them
/// announces (``L2Ownership``), through a *routed* one every eligible node does, with the covering prefix of the
/// advertisement's aggregation length. Services sharing an address (or an aggregate) share one announcement.
public enum AnnouncementPlanner {
    /// A running plugin instance as the planner sees it.
    public struct Instance: Sendable, Hashable {
        public var name: String
        /// Exclusive (one node per address) rather than routed (every eligible node).
        public var exclusive: Bool

        public init(name: String, exclusive: Bool) {
            self.name = name
            self.exclusive = exclusive
        }
    }

    /// The announcements of `node` per instance name, then per announcement id.
    ///
    /// - Parameters:
    ///   - addresses: what the sources want announced.
    ///   - advertisements: the configuration's advertisements.
    ///   - node: this node's name.
    ///   - nodes: every node that may take part (this one included), with what eligibility needs to know.
    ///   - instances: the running instances; an advertisement whose instance is not among them plans nothing.
    ///   - previous: what each instance announces now, if known. Changes nothing in the result: an announcement
    ///     equal to the one announced now *is* that one (its strings and arrays are shared, not made again), so that
    ///     a pass over 10,000 unchanged addresses holds one copy of them, not two.
    public static func plan(
        _ addresses: [ServiceAddress], advertisements: [Advertisement], node: String, nodes: [NodeState],
        instances: [Instance], previous: [String: [String: Announcement]] = [:]
    ) -> [String: [String: Announcement]] {
        let running = Dictionary(instances.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var plan: [String: [String: Announcement]] = [:]
        // Each instance's table sized once for the addresses its advertisements cover (at most one entry each):
        // growing it by doubling would hold the old and the new table at once, pass after pass.
        var sizes: [String: Int] = [:]
        for ad in advertisements where running[ad.plugin] != nil {
            sizes[ad.plugin, default: 0] += addresses.reduce(0) {
                $0 + (ad.covers(pool: $1.pool) ? $1.addresses.count : 0)
            }
        }
        for (name, size) in sizes where size > 0 { plan[name] = Dictionary(minimumCapacity: size) }
        for entry in addresses {
            for ad in advertisements where ad.covers(pool: entry.pool) {
                if !entry.advertisements.isEmpty && !entry.advertisements.contains(ad.name) { continue }
                guard let instance = running[ad.plugin] else { continue }
                let eligible = Eligibility.eligible(
                    nodes, instance: instance.name, nodeSelectors: ad.nodeSelectors, policy: entry.trafficPolicy,
                    requireLive: instance.exclusive)
                guard
                    Eligibility.announces(
                        node, addresses: entry.addresses, exclusive: instance.exclusive, eligible: eligible)
                else { continue }
                for address in entry.addresses {
                    let width = address.family.bitWidth
                    let requested = address.family == .ipv4 ? ad.aggregationLength : ad.aggregationLengthV6
                    let length = instance.exclusive ? width : (requested ?? width)
                    let network = IPAddress(
                        family: address.family,
                        integer: address.integer & IPPrefix.mask(family: address.family, length: length))
                    let id = "\(ad.name)/\(network)/\(length)"
                    let before = previous[instance.name]?[id]
                    var announcement =
                        plan[instance.name, default: [:]][id]
                        ?? Announcement(
                            id: before?.id ?? id, address: network, prefixLength: length, services: [],
                            attributesJSON: ad.attributesJSON, advertisement: ad.name)
                    if !announcement.services.contains(entry.service) {
                        announcement.services.append(entry.service)
                        announcement.services.sort()
                    }
                    if let before, before == announcement { announcement = before }
                    plan[instance.name, default: [:]][announcement.id] = announcement
                }
            }
        }
        return plan.filter { !$0.value.isEmpty }
    }

    /// What to change to go from `current` to `desired` for one instance: withdrawals first, then announcements
    /// (new ids, or ids whose details changed).
    public static func diff(
        current: [String: Announcement], desired: [String: Announcement]
    ) -> (withdraw: [String], announce: [Announcement]) {
        let withdraw = current.keys.filter { desired[$0] == nil }.sorted()
        let announce = desired.values.filter { current[$0.id] != $0 }.sorted { $0.id < $1.id }
        return (withdraw, announce)
    }
}
