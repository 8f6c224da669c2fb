import HeraldConfigModel
import HeraldCore

/// Decides what each plugin instance on this node announces. Pure: the same inputs give the same plan on every host.
///
/// For each service address and each advertisement that covers its pool: the nodes that may announce it are the
/// eligible ones (``Eligibility``); through an *exclusive* (layer-2) instance only the elected owner among them
/// announces (``L2Ownership``), through a *routed* one every eligible node does, with the covering prefix of the
/// advertisement's aggregation length. Services sharing an address (or an aggregate) share one announcement.
package enum AnnouncementPlanner {
    /// A running plugin instance as the planner sees it.
    package struct Instance: Sendable, Hashable {
        package var name: String
        /// Exclusive (one node per address) rather than routed (every eligible node).
        package var exclusive: Bool

        package init(name: String, exclusive: Bool) {
            self.name = name
            self.exclusive = exclusive
        }
    }

    /// The nodes a plan is made over, as `herald run` and `herald plan` both assemble them: the known ones, with this
    /// node added when they do not list it (no cluster, or a manifest directory without Nodes), and this node's
    /// unhealthy instances marked on it.
    package static func nodes(
        _ known: [NodeState], including own: LocalNode, unhealthy: Set<String> = []
    ) -> [NodeState] {
        var nodes = known
        if !nodes.contains(where: { $0.name == own.name }) {
            nodes.append(NodeState(name: own.name, labels: own.labels))
        }
        for index in nodes.indices where nodes[index].name == own.name {
            nodes[index].unhealthyInstances.formUnion(unhealthy)
        }
        return nodes
    }

    /// What one instance should announce, told against what it announces now (`previous`): the announcements
    /// that are new or differ, and the ids of the ones that stay as they are. A pass over 10,000 unchanged addresses
    /// then builds a set of ids, not a second table of 10,000 announcements.
    package struct Changes: Sendable, Equatable {
        /// New announcements, and ones whose details differ from the previous ones, by id.
        package var changed: [String: PlannedAnnouncement] = [:]
        /// The ids whose announcement is exactly the previous one.
        package var unchanged: Set<String> = []

        package init(changed: [String: PlannedAnnouncement] = [:], unchanged: Set<String> = []) {
            self.changed = changed
            self.unchanged = unchanged
        }

        /// Adds `service` to the announcement `id` (made by `make` when it is neither planned yet nor `before`, the
        /// one announced now), and files it as changed or unchanged against `before`.
        mutating func add(
            _ service: ServiceID, id: String, before: PlannedAnnouncement?, make: () -> PlannedAnnouncement
        ) {
            var announcement: PlannedAnnouncement
            if let before, unchanged.remove(id) != nil {
                announcement = before
            } else if let planned = changed.removeValue(forKey: id) {
                announcement = planned
            } else {
                announcement = make()
            }
            if !announcement.services.contains(service) {
                announcement.services.append(service)
                announcement.services.sort()
            }
            if let before, before == announcement {
                unchanged.insert(before.id)
            } else {
                changed[announcement.id] = announcement
            }
        }

        /// The fast path of ``add(_:id:before:make:)`` for what most passes meet thousands of times: `before` made
        /// for `service` alone, with the address, length, attributes and advertisement planned now. It is filed
        /// unchanged as it is, with no announcement made and compared. False when `add` must decide (another service
        /// shares it, a detail differs, or it is already filed as changed in this pass).
        mutating func keep(
            _ before: PlannedAnnouncement, for service: ServiceID, address: IPAddress, prefixLength: Int,
            advertisement: Advertisement
        ) -> Bool {
            guard before.services.count == 1, before.services[0] == service, before.address == address,
                before.prefixLength == prefixLength, before.advertisement == advertisement.name,
                before.attributesJSON == advertisement.attributesJSON, changed.isEmpty || changed[before.id] == nil
            else { return false }
            // Already filed unchanged (a second address of the service under one aggregate): it stays so, as `add`
            // would leave it.
            unchanged.insert(before.id)
            return true
        }

        /// What to do to get there from `previous`: withdrawals (ids no longer planned) first, then announcements
        /// (new ids, or ids whose details changed), each sorted by id.
        package func steps(
            from previous: [String: PlannedAnnouncement]
        ) -> (withdraw: [String], announce: [PlannedAnnouncement]) {
            let withdraw = previous.keys.filter { changed[$0] == nil && !unchanged.contains($0) }.sorted()
            return (withdraw, changed.values.sorted { $0.id < $1.id })
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
    ///     equal to the one announced now *is* that one (its strings and arrays are shared, not made again).
    package static func plan(
        _ addresses: [ServiceAddress], advertisements: [Advertisement], node: String, nodes: [NodeState],
        instances: [Instance], previous: [String: [String: PlannedAnnouncement]] = [:]
    ) -> [String: [String: PlannedAnnouncement]] {
        var plan: [String: [String: PlannedAnnouncement]] = [:]
        let changes = changes(
            addresses, advertisements: advertisements, node: node, nodes: nodes, instances: instances,
            previous: previous)
        for (name, changes) in changes {
            var all = changes.changed
            all.reserveCapacity(changes.changed.count + changes.unchanged.count)
            for id in changes.unchanged { all[id] = previous[name]?[id] }
            if !all.isEmpty { plan[name] = all }
        }
        return plan
    }

    /// The plan of ``plan(_:advertisements:node:nodes:instances:previous:)``, per instance as ``Changes`` against
    /// `previous` (what each instance announces now).
    package static func changes(
        _ addresses: [ServiceAddress], advertisements: [Advertisement], node: String, nodes: [NodeState],
        instances: [Instance], previous: [String: [String: PlannedAnnouncement]]
    ) -> [String: Changes] {
        let running = Dictionary(instances.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var result: [String: Changes] = [:]
        // The set of unchanged ids is sized once for what each instance announces now: growing it by doubling
        // would hold the old and the new table at once, pass after pass. Changes are few, except at start.
        for (name, announced) in previous where running[name] != nil {
            result[name] = Changes(unchanged: Set(minimumCapacity: announced.count))
        }
        // Advertisement by advertisement: what depends on the advertisement alone (its instance, what that instance
        // announces now, the nodes eligible under externalTrafficPolicy: Cluster) is worked out once, not once per
        // address. The result does not depend on the order: every announcement id names its advertisement.
        for ad in advertisements {
            guard let instance = running[ad.plugin] else { continue }
            let announced = previous[instance.name] ?? [:]
            let existed = result[instance.name] != nil
            var changes = result.removeValue(forKey: instance.name) ?? Changes()
            let clusterEligible = Eligibility.eligible(
                nodes, instance: instance.name, nodeSelectors: ad.nodeSelectors, policy: .cluster,
                requireLive: instance.exclusive)
            let clusterIncludesNode = clusterEligible.contains(node)
            for entry in addresses where ad.covers(pool: entry.pool) {
                if !entry.advertisements.isEmpty && !entry.advertisements.contains(ad.name) { continue }
                let eligible: [String]
                if case .cluster = entry.trafficPolicy {
                    guard clusterIncludesNode else { continue }
                    eligible = clusterEligible
                } else {
                    eligible = Eligibility.eligible(
                        nodes, instance: instance.name, nodeSelectors: ad.nodeSelectors, policy: entry.trafficPolicy,
                        requireLive: instance.exclusive)
                }
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
                    let before = announced[id]
                    if let before,
                        changes.keep(
                            before, for: entry.service, address: network, prefixLength: length, advertisement: ad)
                    {
                        continue
                    }
                    changes.add(entry.service, id: id, before: before) {
                        PlannedAnnouncement(
                            id: before?.id ?? id, address: network, prefixLength: length, services: [],
                            attributesJSON: ad.attributesJSON, advertisement: ad.name)
                    }
                }
            }
            if existed || !changes.changed.isEmpty || !changes.unchanged.isEmpty { result[instance.name] = changes }
        }
        return result
    }
}
