import HeraldCore
import Testing

@testable import HeraldIPAM

/// PreferDualStack as MetalLB serves it: both families from one pool when it can, the primary family alone when it
/// cannot, the other family alone when no pool has the primary one left (MetalLB #1589, #1776, #2482), and the
/// second family as soon as the service's pool has it, keeping the first address.
@Suite("PreferDualStack fallback and growth")
struct PreferDualStackTests {
    static let dualV4First = [IPFamily.ipv4, .ipv6]

    @Test("with no pool of the primary family the service gets the other family")
    func onlyOtherFamily() throws {
        var allocator = try allocator(pool("v6", "2001:db8::/126"))
        let assignment = try allocator.allocate(service("web", policy: .preferDualStack, families: Self.dualV4First))
            .get()
        #expect(assignment == Assignment(pool: "v6", addresses: [ip("2001:db8::")]))
        // SingleStack and RequireDualStack never fall back to the other family.
        #expect(allocator.allocate(service("single", families: Self.dualV4First)).failure?.code == .noMatchingPool)
        let require = allocator.allocate(service("require", policy: .requireDualStack, families: Self.dualV4First))
        #expect(require.failure?.code == .noMatchingPool)
    }

    @Test("with every primary address taken the service gets the other family, and the primary one later")
    func primaryExhausted() throws {
        var allocator = try allocator(pool("dual", "10.0.0.0/32", "2001:db8::/126"))
        #expect(allocator.allocate(service("holder")).addresses == ["10.0.0.0"])
        let request = service("web", policy: .preferDualStack, families: Self.dualV4First)
        #expect(allocator.allocate(request).addresses == ["2001:db8::"])
        // The next reconcile after the IPv4 address is freed adds it, primary first, and keeps the IPv6 address.
        _ = allocator.release(id("holder"))
        #expect(allocator.allocate(request).addresses == ["10.0.0.0", "2001:db8::"])
        #expect(allocator.statistics()[0].usage[.ipv4]?.inUse == 1)
        #expect(allocator.statistics()[0].usage[.ipv6]?.inUse == 1)
    }

    @Test("the fallback honours reservations and names both exhausted families when it fails")
    func fallbackFails() throws {
        var allocator = try allocator(
            pool("reserved-v6", "2001:db8:9::/126", allocation: ServiceAllocation(namespaces: ["team"])),
            pool("v4", "10.0.0.0/32"),
            pool("v6", "2001:db8::/128")
        )
        _ = allocator.allocate(service("holder-v4"))
        _ = allocator.allocate(service("holder-v6", families: [.ipv6]))
        let request = service("web", policy: .preferDualStack, families: Self.dualV4First)
        let error = allocator.allocate(request).failure
        #expect(error?.code == .poolExhausted)
        #expect(
            error?.reason
                == .noPoolAvailable([
                    PoolVerdict(pool: "reserved-v6", reason: .reserved(for: "namespaces [team]")),
                    PoolVerdict(pool: "v4", reason: .exhausted(.ipv4, inUse: 1, capacity: 1)),
                    PoolVerdict(pool: "v6", reason: .exhausted(.ipv6, inUse: 1, capacity: 1)),
                ])
        )
        // Freeing the IPv6 address helps it, so the release lists it.
        #expect(allocator.release(id("holder-v6")).retry == [id("web")])
        #expect(allocator.retryPending()[id("web")]?.addresses == ["2001:db8::"])
    }

    @Test("a service that got one family gets the other when its pool gains it, and keeps the first address")
    func poolGainsFamily() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/30"))
        let request = service("web", policy: .preferDualStack, families: Self.dualV4First)
        #expect(allocator.allocate(request).addresses == ["10.0.0.0"])
        _ = allocator.allocate(service("single", families: Self.dualV4First))
        _ = allocator.allocate(service("v4-only", policy: .preferDualStack, families: [.ipv4]))
        let pinned = service("pinned", policy: .preferDualStack, families: Self.dualV4First, addresses: ["10.0.0.3"])
        _ = allocator.allocate(pinned)
        let change = try allocator.setPools([pool("p", "10.0.0.0/30", "2001:db8::/126")])
        // Only the PreferDualStack service of two families that requests nothing is listed; nothing moves yet.
        #expect(change.gainsFamily == [id("web")])
        #expect(change.displaced.isEmpty && change.moved.isEmpty)
        #expect(allocator.assignment(for: id("web"))?.addresses == [ip("10.0.0.0")])
        let grown = try allocator.allocate(request).get()
        #expect(grown == Assignment(pool: "p", addresses: [ip("10.0.0.0"), ip("2001:db8::")]))
        #expect(try allocator.allocate(request).get() == grown)
        // A requested address is exactly what the service gets: no second family is added to it.
        #expect(allocator.allocate(pinned).addresses == ["10.0.0.3"])
        #expect(allocator.allocate(service("pinned2", families: [.ipv6])).addresses == ["2001:db8::1"])
    }

    @Test("an IPv6-primary service gains IPv4 after its address, in the order of its families")
    func ipv6Primary() throws {
        var allocator = try allocator(pool("p", "2001:db8::/126"))
        let request = service("web", policy: .preferDualStack, families: [.ipv6, .ipv4])
        #expect(allocator.allocate(request).addresses == ["2001:db8::"])
        #expect(try allocator.setPools([pool("p", "2001:db8::/126", "10.0.0.0/30")]).gainsFamily == [id("web")])
        #expect(allocator.allocate(request).addresses == ["2001:db8::", "10.0.0.0"])
    }

    @Test("the second address comes from the service's own pool only, and only when that pool has one free")
    func samePoolOnly() throws {
        var allocator = try allocator(pool("a-v4", "10.0.0.0/30"))
        let request = service("web", policy: .preferDualStack, families: Self.dualV4First)
        #expect(allocator.allocate(request).addresses == ["10.0.0.0"])
        // A dual-stack pool elsewhere does not pull the service away from its address.
        let dual = pool("b-dual", "10.0.1.0/30", "2001:db8::/126")
        #expect(try allocator.setPools([pool("a-v4", "10.0.0.0/30"), dual]).gainsFamily.isEmpty)
        #expect(try allocator.allocate(request).get() == Assignment(pool: "a-v4", addresses: [ip("10.0.0.0")]))
        // Its own pool gains one IPv6 address, which another service takes first: nothing to gain until it is free.
        let change = try allocator.setPools([pool("a-v4", "10.0.0.0/30", "2001:db8:1::/128"), dual])
        #expect(change.gainsFamily == [id("web")])
        #expect(allocator.allocate(service("taker", families: [.ipv6], pool: "a-v4")).addresses == ["2001:db8:1::"])
        #expect(allocator.allocate(request).addresses == ["10.0.0.0"])
        #expect(try allocator.setPools(allocator.pools).gainsFamily.isEmpty)
        _ = allocator.release(id("taker"))
        #expect(allocator.allocate(request).addresses == ["10.0.0.0", "2001:db8:1::"])
    }

    @Test("a service restored with one address gains the other family at its next allocation")
    func restoredGains() throws {
        let request = service("web", policy: .preferDualStack, families: Self.dualV4First)
        let restored = try Allocator.restoring(
            [ExistingAssignment(request: request, addresses: [ip("10.0.0.5")])],
            pools: [pool("p", "10.0.0.0/24", "2001:db8::/126")]
        )
        #expect(restored.report.restored[id("web")]?.addresses == [ip("10.0.0.5")])
        var allocator = restored.allocator
        #expect(allocator.allocate(request).addresses == ["10.0.0.5", "2001:db8::"])
    }
}
