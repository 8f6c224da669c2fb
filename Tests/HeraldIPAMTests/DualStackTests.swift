import HeraldCore
import Testing

@testable import HeraldIPAM

@Suite("Dual-stack")
struct DualStackTests {
    static func pools() throws -> Allocator {
        // "a-v4" sorts first but has one family only; "b-dual" has both; "c-v6" has IPv6 only.
        try Allocator(pools: [
            pool("a-v4", "10.0.0.0/24"),
            pool("b-dual", "10.0.1.0/24", "2001:db8:1::/64"),
            pool("c-v6", "2001:db8:2::/64"),
        ])
    }

    @Test(
        "the family policy and the ClusterIP families decide what a service gets",
        arguments: [
            (IPFamilyPolicy.singleStack, [IPFamily.ipv4], ["10.0.0.0"], "a-v4"),
            (.singleStack, [.ipv6], ["2001:db8:1::"], "b-dual"),
            (.singleStack, [.ipv6, .ipv4], ["2001:db8:1::"], "b-dual"),
            (.preferDualStack, [.ipv4], ["10.0.0.0"], "a-v4"),
            (.preferDualStack, [.ipv4, .ipv6], ["10.0.1.0", "2001:db8:1::"], "b-dual"),
            (.preferDualStack, [.ipv6, .ipv4], ["2001:db8:1::", "10.0.1.0"], "b-dual"),
            (.requireDualStack, [.ipv4, .ipv6], ["10.0.1.0", "2001:db8:1::"], "b-dual"),
            (.requireDualStack, [.ipv6, .ipv4], ["2001:db8:1::", "10.0.1.0"], "b-dual"),
        ] as [(IPFamilyPolicy, [IPFamily], [String], String)]
    )
    func policy(policy: IPFamilyPolicy, families: [IPFamily], expected: [String], pool: String) throws {
        var allocator = try Self.pools()
        let assignment = try allocator.allocate(service("web", policy: policy, families: families)).get()
        #expect(assignment.addresses.map(\.description) == expected)
        #expect(assignment.pool == pool)
    }

    @Test("RequireDualStack with ClusterIPs of one family is refused")
    func requireWithoutDual() throws {
        var allocator = try Self.pools()
        let error = allocator.allocate(service("web", policy: .requireDualStack, families: [.ipv4])).failure
        #expect(error?.reason == .dualStackUnavailable(families: [.ipv4]))
        #expect(error?.code == .familyMismatch)
    }

    @Test("RequireDualStack with no dual pool names the missing family")
    func requireNoPool() throws {
        var allocator = try Allocator(pools: [pool("v4", "10.0.0.0/24"), pool("v6", "2001:db8::/64")])
        let error = allocator.allocate(service("web", policy: .requireDualStack, families: [.ipv4, .ipv6])).failure
        #expect(error?.code == .noMatchingPool)
        #expect(
            error?.description.contains(
                "pool \"v4\" has no usable IPv6 address; pool \"v6\" has no usable IPv4 address"
            ) == true
        )
    }

    @Test("PreferDualStack falls back to the primary family, and rolls back a half-taken pair")
    func preferFallsBack() throws {
        var allocator = try Allocator(pools: [
            pool("a-dual", "10.0.0.0/24", "2001:db8::/128"), pool("b-v4", "10.0.1.0/24"),
        ])
        _ = allocator.allocate(service("v6-holder", families: [.ipv6]))
        let assignment = try allocator.allocate(service("web", policy: .preferDualStack, families: [.ipv4, .ipv6]))
            .get()
        #expect(assignment == Assignment(pool: "a-dual", addresses: [ip("10.0.0.0")]))
        let stats = allocator.statistics()[0]
        #expect(stats.usage[.ipv4]?.inUse == 1)
        #expect(stats.usage[.ipv6]?.inUse == 1)
    }

    @Test("RequireDualStack with the IPv6 side exhausted takes nothing")
    func requireAllOrNothing() throws {
        var allocator = try Allocator(pools: [pool("dual", "10.0.0.0/24", "2001:db8::/128")])
        _ = allocator.allocate(service("v6-holder", families: [.ipv6]))
        let error = allocator.allocate(service("web", policy: .requireDualStack, families: [.ipv4, .ipv6])).failure
        #expect(
            error?.description
                == "default/web: pool \"dual\" is exhausted (1 of 1 IPv6 addresses in use); "
                + "free an address or add a range"
        )
        #expect(allocator.statistics()[0].usage[.ipv4]?.inUse == 0)
        #expect(allocator.allocate(service("v4")).addresses == ["10.0.0.0"])
    }

    @Test(
        "requested addresses follow the policy",
        arguments: [
            (IPFamilyPolicy.requireDualStack, ["2001:db8:1::9", "10.0.1.9"], ["10.0.1.9", "2001:db8:1::9"]),
            (.preferDualStack, ["2001:db8:1::9"], ["2001:db8:1::9"]),
            (.preferDualStack, ["10.0.1.9", "2001:db8:1::9"], ["10.0.1.9", "2001:db8:1::9"]),
        ] as [(IPFamilyPolicy, [String], [String])]
    )
    func requested(policy: IPFamilyPolicy, addresses: [String], expected: [String]) throws {
        var allocator = try Self.pools()
        let result = allocator.allocate(service("web", policy: policy, families: [.ipv4, .ipv6], addresses: addresses))
        #expect(result.addresses == expected)
    }

    @Test("a service switched to single-stack of the other family gets a new address")
    func familyChange() throws {
        var allocator = try Self.pools()
        #expect(allocator.allocate(service("web")).addresses == ["10.0.0.0"])
        #expect(allocator.allocate(service("web", families: [.ipv6])).addresses == ["2001:db8:1::"])
        #expect(allocator.services(holding: ip("10.0.0.0")).isEmpty)
    }

    @Test("a service with no family at all is refused")
    func noFamily() throws {
        var allocator = try Self.pools()
        #expect(allocator.allocate(service("web", families: [])).failure?.reason == .noClusterIPFamily)
    }
}
