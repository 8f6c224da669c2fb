import HeraldConfig
import HeraldConfigModel
import HeraldCore
import HeraldPlanner
import Testing

@Suite struct AnnouncementPlannerTests {
    static let text = """
        apiVersion: herald.dev/v1
        pools:
          - {name: a, addresses: [192.0.2.0/24]}
          - {name: b, addresses: ["2001:db8::/64"]}
          - {name: c, addresses: [198.51.100.0/24]}
        advertisements:
          - {name: l2, plugin: arp, pools: [a, b]}
          - {name: bgp, plugin: bgp, aggregationLength: 24, aggregationLengthV6: 64, attributes: {communities: ["64512:1"]}}
          - {name: rack2, plugin: bgp, pools: [c], nodeSelectors: [{matchLabels: {rack: r2}}]}
          - {name: offline, plugin: gone}
        staticVIPs:
          - {name: one, address: 192.0.2.1}
          - {name: two, address: 192.0.2.2, services: [ns/two]}
          - {name: six, address: "2001:db8::6"}
          - {name: edge, address: 198.51.100.9}
          - {name: pinned, address: 198.51.100.10, advertisements: [rack2]}
        """

    let config: HeraldConfiguration

    init() throws {
        config = try ConfigParser.parse(Self.text, file: "t.yaml").get()
    }

    /// The plan of a lone node with `labels` for the static VIPs, through the instances of `kinds` (true: exclusive).
    func plan(labels: [String: String], kinds: [String: Bool]) -> [String: [String: PlannedAnnouncement]] {
        AnnouncementPlanner.plan(
            config.staticAddresses, advertisements: config.advertisements, node: "n",
            nodes: [NodeState(name: "n", labels: labels)],
            instances: kinds.map { AnnouncementPlanner.Instance(name: $0.key, exclusive: $0.value) })
    }

    @Test func exclusiveGetsHostRoutesAndRoutedGetsAggregates() {
        let plan = plan(labels: ["rack": "r1"], kinds: ["arp": true, "bgp": false])
        #expect(
            plan["arp"]?.keys.sorted() == ["l2/192.0.2.1/32", "l2/192.0.2.2/32", "l2/2001:db8::6/128"])
        #expect(plan["arp"]?["l2/192.0.2.2/32"]?.services == ["ns/two"])
        // The routed plugin aggregates: one /24 serving both VIPs of pool a, one /64, one /24 for pool c.
        let bgp = plan["bgp"] ?? [:]
        #expect(bgp.keys.sorted() == ["bgp/192.0.2.0/24", "bgp/198.51.100.0/24", "bgp/2001:db8::/64"])
        #expect(bgp["bgp/192.0.2.0/24"]?.services == ["ns/two", "static/one"])
        #expect(bgp["bgp/192.0.2.0/24"]?.attributesJSON == #"{"communities":["64512:1"]}"#)
        #expect(bgp["bgp/198.51.100.0/24"]?.services == ["static/edge"])
        // An instance that is not running gets nothing; nothing is planned for it.
        #expect(plan["gone"] == nil)
    }

    /// What each instance announces now changes nothing in the plan: only which copy of an equal announcement it
    /// holds.
    @Test func thePreviousPlanChangesNothing() {
        let kinds = ["arp": true, "bgp": false]
        let fresh = plan(labels: ["rack": "r1"], kinds: kinds)
        var stale = fresh
        stale["arp"]?["l2/192.0.2.1/32"]?.services = ["someone/else"]
        let copied = stale["arp"]?["l2/192.0.2.2/32"]
        stale["arp"]?["l2/192.0.2.9/32"] = copied
        stale["bgp"]?["bgp/192.0.2.0/24"]?.attributesJSON = "{}"
        for previous in [fresh, stale, [:]] {
            let again = AnnouncementPlanner.plan(
                config.staticAddresses, advertisements: config.advertisements, node: "n",
                nodes: [NodeState(name: "n", labels: ["rack": "r1"])],
                instances: kinds.map { AnnouncementPlanner.Instance(name: $0.key, exclusive: $0.value) },
                previous: previous)
            #expect(again == fresh)
            // As changes against what is announced now: the same plan, and exactly what differs from it.
            let changes = AnnouncementPlanner.changes(
                config.staticAddresses, advertisements: config.advertisements, node: "n",
                nodes: [NodeState(name: "n", labels: ["rack": "r1"])],
                instances: kinds.map { AnnouncementPlanner.Instance(name: $0.key, exclusive: $0.value) },
                previous: previous)
            for (name, desired) in fresh {
                let current = previous[name] ?? [:]
                let instance = changes[name] ?? AnnouncementPlanner.Changes()
                #expect(instance.unchanged == Set(desired.keys.filter { current[$0] == desired[$0] }))
                #expect(instance.changed == desired.filter { current[$0.key] != $0.value })
                let (withdraw, announce) = instance.steps(from: current)
                #expect(withdraw == current.keys.filter { desired[$0] == nil }.sorted())
                #expect(announce == desired.values.filter { current[$0.id] != $0 }.sorted { $0.id < $1.id })
            }
        }
    }

    @Test func nodeSelectorsDecideWhichNodesAnnounce() {
        let plan = plan(labels: ["rack": "r2"], kinds: ["bgp": false])
        let bgp = plan["bgp"] ?? [:]
        #expect(bgp["rack2/198.51.100.10/32"]?.services == ["static/pinned"])
        #expect(bgp["rack2/198.51.100.9/32"]?.services == ["static/edge"])
        #expect(bgp["bgp/198.51.100.0/24"]?.services == ["static/edge"])
    }

    @Test func diffWithdrawsFirstAndReannouncesOnlyWhatChanged() {
        let a = PlannedAnnouncement(
            id: "x", address: IPAddress("192.0.2.1")!, prefixLength: 32, services: ["s/a"], advertisement: "l2")
        var b = a
        b.services = ["s/a", "s/b"]
        let c = PlannedAnnouncement(
            id: "y", address: IPAddress("192.0.2.2")!, prefixLength: 32, services: ["s/c"], advertisement: "l2")
        let d = PlannedAnnouncement(
            id: "z", address: IPAddress("192.0.2.3")!, prefixLength: 32, services: ["s/d"], advertisement: "l2")
        let (withdraw, announce) = AnnouncementPlanner.Changes(changed: ["z": d, "x": b])
            .steps(from: ["x": a, "y": c])
        #expect(withdraw == ["y"])
        #expect(announce == [b, d])
        let (none, same) = AnnouncementPlanner.Changes(unchanged: ["x"]).steps(from: ["x": a])
        #expect(none.isEmpty && same.isEmpty)
    }
}
