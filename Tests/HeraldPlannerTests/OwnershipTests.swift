import HeraldCore
import HeraldTestSupport
import Testing

@testable import HeraldPlanner

@Suite struct SHA256Tests {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// FIPS 180-4 examples, the one-million-a message, and lengths around the padding boundary.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        ("worker-1#192.0.2.10", "eb76cc814570d1c59170df910ac3a6e8c3c2425b8e4b781ce418d7d438a5cc3c"),
    ])
    func knownDigests(message: String, digest: String) {
        #expect(Self.hex(SHA256.hash(Array(message.utf8))) == digest)
    }

    @Test func aMillionAs() {
        let digest = SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        #expect(Self.hex(digest) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

@Suite struct L2OwnershipTests {
    static let nodes = ["node-a", "node-b", "node-c", "worker-1", "worker-2"]

    /// The same order MetalLB computes (sha256 of "node#ip", compared as bytes), checked with Python's hashlib.
    @Test(arguments: [
        ("192.0.2.10", ["worker-2", "node-c", "node-b", "node-a", "worker-1"]),
        ("2001:db8::10", ["node-b", "worker-1", "worker-2", "node-a", "node-c"]),
        ("198.51.100.7", ["node-a", "worker-1", "node-b", "worker-2", "node-c"]),
    ])
    func ranksLikeMetalLB(address: String, expected: [String]) {
        #expect(L2Ownership.rank(Self.nodes.shuffled(), for: IPAddress(address)!) == expected)
        #expect(L2Ownership.owner(of: [IPAddress(address)!], among: Self.nodes.reversed()) == expected[0])
    }

    @Test func theFirstAddressDecidesForADualStackService() {
        let v4 = IPAddress("192.0.2.10")!
        let v6 = IPAddress("2001:db8::10")!
        #expect(L2Ownership.owner(of: [v4, v6], among: Self.nodes) == "worker-2")
        #expect(L2Ownership.owner(of: [v6, v4], among: Self.nodes) == "node-b")
        #expect(L2Ownership.owner(of: [], among: Self.nodes) == nil)
        #expect(L2Ownership.owner(of: [v4], among: []) == nil)
    }

    /// Over many addresses: exactly one owner, ownership moves only when the owner leaves (then to the runner-up),
    /// and addresses spread over the nodes.
    @Test func onlyTheOwnersLeavingMovesAnAddressAndOwnershipSpreads() {
        var rng = SplitMix64(seed: 7)
        let nodes = (1...10).map { "node-\($0)" }
        var owned: [String: Int] = [:]
        for _ in 0..<2_000 {
            let address = IPAddress.v4(IPv4Address(UInt32(truncatingIfNeeded: rng.next())))
            let ranked = L2Ownership.rank(nodes, for: address)
            let owner = ranked[0]
            owned[owner, default: 0] += 1
            let leaver = nodes[Int(rng.next() % 10)]
            let after = L2Ownership.owner(of: [address], among: nodes.filter { $0 != leaver })
            #expect(after == (leaver == owner ? ranked[1] : owner))
            // A node joining takes the address only if it ranks first.
            let joined = L2Ownership.rank(nodes + ["node-new"], for: address)
            #expect(joined[0] == owner || joined[0] == "node-new")
        }
        #expect(owned.count == 10)
        // 2,000 addresses over 10 nodes: 200 each on average; a fair hash stays well within 130...270.
        #expect(owned.values.allSatisfy { (130...270).contains($0) }, "\(owned.sorted { $0.key < $1.key })")
    }
}

@Suite struct EligibilityTests {
    static let rackA = LabelSelector(matchLabels: ["rack": "a"])

    @Test func everyRuleHasItsReason() {
        let ok = NodeState(name: "n1", labels: ["rack": "a"])
        let cluster = TrafficPolicy.cluster
        #expect(Eligibility.check(ok, instance: "arp", nodeSelectors: [], policy: cluster) == nil)
        #expect(Eligibility.check(ok, instance: "arp", nodeSelectors: [Self.rackA], policy: cluster) == nil)
        var down = ok
        down.live = false
        #expect(Eligibility.check(down, instance: "arp", nodeSelectors: [], policy: cluster) == .notLive)
        var excluded = ok
        excluded.labels[Eligibility.excludeLabel] = ""
        #expect(Eligibility.check(excluded, instance: "arp", nodeSelectors: [], policy: cluster) == .excluded)
        let other = NodeState(name: "n2", labels: ["rack": "b"])
        #expect(Eligibility.check(other, instance: "arp", nodeSelectors: [Self.rackA], policy: cluster) == .notSelected)
        #expect(
            Eligibility.check(ok, instance: "arp", nodeSelectors: [], policy: .local(readyNodes: ["n2"]))
                == .noLocalEndpoint)
        #expect(Eligibility.check(ok, instance: "arp", nodeSelectors: [], policy: .local(readyNodes: ["n1"])) == nil)
        var linkDown = ok
        linkDown.unhealthyInstances = ["arp"]
        #expect(Eligibility.check(linkDown, instance: "arp", nodeSelectors: [], policy: cluster) == .unhealthyDataPlane)
        #expect(Eligibility.check(linkDown, instance: "bgp", nodeSelectors: [], policy: cluster) == nil)
        // NetworkUnavailable: no announcement through any instance, routed ones (no liveness needed) included.
        var noNetwork = ok
        noNetwork.networkUnavailable = true
        #expect(
            Eligibility.check(noNetwork, instance: "arp", nodeSelectors: [], policy: cluster) == .networkUnavailable)
        #expect(
            Eligibility.check(noNetwork, instance: "bgp", nodeSelectors: [], policy: cluster, requireLive: false)
                == .networkUnavailable)
    }

    @Test func exclusiveInstancesHaveOneAnnouncerAndRoutedOnesHaveEveryEligibleNode() {
        let nodes = [
            NodeState(name: "node-a"), NodeState(name: "node-b"), NodeState(name: "node-c", live: false),
            NodeState(name: "worker-1"), NodeState(name: "worker-2", labels: [Eligibility.excludeLabel: "true"]),
        ]
        let address = [IPAddress("192.0.2.10")!]
        let eligible = Eligibility.eligible(nodes, instance: "arp", nodeSelectors: [], policy: .cluster)
        #expect(eligible == ["node-a", "node-b", "worker-1"])
        let exclusive = nodes.filter {
            Eligibility.announces($0.name, addresses: address, exclusive: true, eligible: eligible)
        }
        // worker-2 and node-c would rank first and second, but are not eligible: node-b is next.
        #expect(exclusive.map(\.name) == ["node-b"])
        let routed = nodes.filter {
            Eligibility.announces($0.name, addresses: address, exclusive: false, eligible: eligible)
        }
        #expect(routed.map(\.name) == eligible)
    }
}

/// When a new owner may claim at once: only after nodes left and nothing else changed.
@Suite struct OnlyDeparturesTests {
    let a = NodeState(name: "a", labels: ["zone": "1"])
    let b = NodeState(name: "b", labels: ["zone": "2"])
    let c = NodeState(name: "c")

    @Test func aLeaseThatExpiredOrWasDeletedIsADeparture() {
        var expired = b
        expired.live = false
        #expect(L2Ownership.onlyDepartures(from: [a, b, c], to: [a, expired, c]))
        #expect(L2Ownership.onlyDepartures(from: [a, b, c], to: [a, c]))
        #expect(L2Ownership.onlyDepartures(from: [a, b, c], to: [c, a]))
    }

    @Test func nothingChangedIsNoDeparture() {
        #expect(!L2Ownership.onlyDepartures(from: [a, b, c], to: [a, b, c]))
        var dead = b
        dead.live = false
        // A node that was not live leaving the list is not a departure of an owner.
        #expect(!L2Ownership.onlyDepartures(from: [a, dead, c], to: [a, c]))
    }

    @Test func anyOtherChangeBesideADepartureNeedsTheDelay() {
        var relabelled = a
        relabelled.labels["zone"] = "9"
        #expect(!L2Ownership.onlyDepartures(from: [a, b, c], to: [relabelled, c]))
        var unhealthy = c
        unhealthy.unhealthyInstances = ["arp"]
        #expect(!L2Ownership.onlyDepartures(from: [a, b, c], to: [a, unhealthy]))
        // A node joining, or one coming back to life, is a change of another kind.
        #expect(!L2Ownership.onlyDepartures(from: [a, b], to: [a, NodeState(name: "d")]))
        var dead = c
        dead.live = false
        #expect(!L2Ownership.onlyDepartures(from: [a, b, dead], to: [a, c]))
    }
}
