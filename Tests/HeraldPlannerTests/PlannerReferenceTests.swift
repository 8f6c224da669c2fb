import HeraldConfigModel
import HeraldCore
import HeraldPlanner
import HeraldTestSupport
import Testing

/// `AnnouncementPlanner.changes` works advertisement by advertisement and reuses what depends on the advertisement
/// alone. Here it is compared with the plan made the plain way, address by address with every check made again, over
/// seeded random clusters: nodes (labels, liveness, unhealthy instances, NetworkUnavailable), advertisements (pools,
/// node selectors, aggregation), addresses (shared ones, dual stack, both traffic policies, pinned advertisements),
/// exclusive and routed instances, and what each instance announces now.
@Suite struct PlannerReferenceTests {
    /// The plan made the plain way: for each address, each advertisement, every check.
    static func reference(
        _ addresses: [ServiceAddress], advertisements: [Advertisement], node: String, nodes: [NodeState],
        instances: [AnnouncementPlanner.Instance], previous: [String: [String: PlannedAnnouncement]]
    ) -> [String: [String: PlannedAnnouncement]] {
        let running = Dictionary(instances.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var plan: [String: [String: PlannedAnnouncement]] = [:]
        for entry in addresses {
            for ad in advertisements where ad.covers(pool: entry.pool) {
                if !entry.advertisements.isEmpty && !entry.advertisements.contains(ad.name) { continue }
                guard let instance = running[ad.plugin] else { continue }
                let eligible = nodes.filter {
                    Eligibility.check(
                        $0, instance: instance.name, nodeSelectors: ad.nodeSelectors, policy: entry.trafficPolicy,
                        requireLive: instance.exclusive) == nil
                }.map(\.name)
                guard eligible.contains(node) else { continue }
                if instance.exclusive && L2Ownership.owner(of: entry.addresses, among: eligible) != node { continue }
                for address in entry.addresses {
                    let width = address.family.bitWidth
                    let requested = address.family == .ipv4 ? ad.aggregationLength : ad.aggregationLengthV6
                    let length = instance.exclusive ? width : (requested ?? width)
                    let network = IPAddress(
                        family: address.family,
                        integer: address.integer & IPPrefix.mask(family: address.family, length: length))
                    let id = "\(ad.name)/\(network)/\(length)"
                    var announcement =
                        plan[instance.name]?[id]
                        ?? PlannedAnnouncement(
                            id: id, address: network, prefixLength: length, services: [],
                            attributesJSON: ad.attributesJSON, advertisement: ad.name)
                    if !announcement.services.contains(entry.service) {
                        announcement.services = (announcement.services + [entry.service]).sorted()
                    }
                    plan[instance.name, default: [:]][id] = announcement
                }
            }
        }
        return plan
    }

    struct Cluster {
        var addresses: [ServiceAddress] = []
        var advertisements: [Advertisement] = []
        var nodes: [NodeState] = []
        var instances: [AnnouncementPlanner.Instance] = []
        var previous: [String: [String: PlannedAnnouncement]] = [:]
    }

    static func cluster(seed: UInt64) -> Cluster {
        var random = SplitMix64(seed: seed)
        func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }
        func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &random) < p }
        var c = Cluster()
        let nodeNames = (0..<Int.random(in: 1...4, using: &random)).map { "node-\($0)" }
        let instanceNames = ["arp", "bgp", "other"]
        for name in nodeNames {
            var labels = ["rack": pick(["r1", "r2"])]
            if chance(0.15) { labels[Eligibility.excludeLabel] = "" }
            c.nodes.append(
                NodeState(
                    name: name, labels: labels, live: chance(0.85),
                    unhealthyInstances: chance(0.2) ? [pick(instanceNames)] : [], networkUnavailable: chance(0.1)))
        }
        c.instances = instanceNames.filter { _ in chance(0.8) }.map {
            AnnouncementPlanner.Instance(name: $0, exclusive: $0 == "arp" || ($0 == "other" && chance(0.5)))
        }
        let pools = ["a", "b", "c"]
        for index in 0..<Int.random(in: 0...4, using: &random) {
            c.advertisements.append(
                Advertisement(
                    name: "ad\(index)", plugin: pick(instanceNames + ["gone"]),
                    pools: pools.filter { _ in chance(0.5) },
                    nodeSelectors: chance(0.3) ? [LabelSelector(matchLabels: ["rack": pick(["r1", "r2"])])] : [],
                    aggregationLength: chance(0.4) ? pick([24, 28, 32]) : nil,
                    aggregationLengthV6: chance(0.4) ? pick([64, 120, 128]) : nil,
                    attributesJSON: chance(0.3) ? #"{"communities":["64512:\#(index)"]}"# : "{}"))
        }
        for index in 0..<Int.random(in: 0...40, using: &random) {
            // Few distinct addresses, so that Services share them and aggregates gather several.
            var addresses = [
                IPAddress(family: .ipv4, integer: 0xC000_0200 + UInt128.random(in: 0...15, using: &random))
            ]
            if chance(0.2) {
                addresses.append(
                    IPAddress(family: .ipv6, integer: (0x2001_0db8 << 96) + UInt128.random(in: 1...9, using: &random)))
            }
            if chance(0.1) { addresses.reverse() }
            let ready = Set(nodeNames.filter { _ in chance(0.5) })
            c.addresses.append(
                ServiceAddress(
                    service: ServiceID(namespace: pick(["ns1", "ns2"]), name: "svc\(index)"), addresses: addresses,
                    pool: pick(pools),
                    advertisements: chance(0.15) ? ["ad\(Int.random(in: 0...3, using: &random))"] : [],
                    trafficPolicy: chance(0.3) ? .local(readyNodes: ready) : .cluster))
        }
        return c
    }

    static func plan(_ c: Cluster, node: String) -> [String: [String: PlannedAnnouncement]] {
        AnnouncementPlanner.plan(
            c.addresses, advertisements: c.advertisements, node: node, nodes: c.nodes, instances: c.instances,
            previous: c.previous)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func planEqualsThePlainPlan(block: UInt64) {
        var compared = 0
        var announced = 0
        for seed in (block * 1_000)..<(block * 1_000 + 500) {
            var c = Self.cluster(seed: seed)
            for node in c.nodes.map(\.name) {
                let expected = Self.reference(
                    c.addresses, advertisements: c.advertisements, node: node, nodes: c.nodes, instances: c.instances,
                    previous: [:])
                #expect(Self.plan(c, node: node) == expected, "seed \(seed), node \(node)")
                // What the instances announce now (this plan, with one announcement changed and one stale) changes
                // nothing in the plan.
                // Details differ in a few announcements of each instance (services, attributes, advertisement):
                // exactly those are planned as changed, every other one as unchanged.
                var previous = expected
                var stale: Set<String> = []
                for (name, table) in expected {
                    for (index, id) in table.keys.sorted().prefix(4).enumerated() {
                        switch index {
                        case 0: previous[name]?[id]?.services = [ServiceID(namespace: "x", name: "stale")]
                        case 1: previous[name]?[id]?.attributesJSON = #"{"old":true}"#
                        case 2: previous[name]?[id]?.advertisement = "renamed"
                        default: previous[name]?[id]?.services.append(ServiceID(namespace: "zz", name: "gone"))
                        }
                        stale.insert("\(name) \(id)")
                    }
                    previous[name]?["gone/192.0.2.200/32"] = table.values.first
                }
                c.previous = previous
                #expect(Self.plan(c, node: node) == expected, "seed \(seed), node \(node), with a previous plan")
                let changes = AnnouncementPlanner.changes(
                    c.addresses, advertisements: c.advertisements, node: node, nodes: c.nodes,
                    instances: c.instances, previous: previous)
                for (name, table) in expected {
                    let filed = changes[name] ?? AnnouncementPlanner.Changes()
                    let changed = Set(filed.changed.keys.map { "\(name) \($0)" })
                    let unchanged = Set(filed.unchanged.map { "\(name) \($0)" })
                    #expect(changed == stale.filter { $0.hasPrefix("\(name) ") }, "seed \(seed), node \(node)")
                    #expect(unchanged.count + changed.count == table.count && unchanged.isDisjoint(with: stale))
                }
                c.previous = [:]
                compared += 1
                announced += expected.values.reduce(0) { $0 + $1.count }
            }
        }
        // The random clusters do announce: the comparison is not between empty plans.
        #expect(announced > compared)
        print("planner reference: \(compared) plans compared, \(announced) announcements")
    }
}
