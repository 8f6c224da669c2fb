import HeraldCore
import Testing

@testable import HeraldIPAM

@Suite("Pool changes and exhaustion")
struct PoolChangeTests {
    @Test("deleting a pool displaces its services and frees their addresses for no one else (MetalLB pool deletion)")
    func poolDeletion() throws {
        var allocator = try allocator(pool("a", "10.0.0.0/30"), pool("b", "10.0.1.0/30"))
        _ = allocator.allocate(service("on-a", pool: "a"))
        _ = allocator.allocate(service("on-b", pool: "b"))
        let change = try allocator.setPools([pool("b", "10.0.1.0/30")])
        #expect(Set(change.displaced.keys) == [id("on-a")])
        #expect(change.displaced[id("on-a")]?.code == .addressNotInPool)
        #expect(change.retry == [id("on-a")])
        #expect(allocator.assignment(for: id("on-a")) == nil)
        #expect(allocator.assignment(for: id("on-b"))?.addresses == [ip("10.0.1.0")])
        // The pool comes back: the displaced service and a newcomer never get the same address.
        _ = try allocator.setPools([pool("a", "10.0.0.0/30"), pool("b", "10.0.1.0/30")])
        let retried = allocator.retryPending()
        #expect(retried[id("on-a")]?.failure?.code == .noMatchingPool || retried[id("on-a")]?.addresses != nil)
        let newcomer = allocator.allocate(service("newcomer", pool: "a"))
        #expect(newcomer.addresses != allocator.assignment(for: id("on-a"))?.addresses.map(\.description))
    }

    @Test("shrinking a pool displaces only the services outside it")
    func shrink() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/29"))
        for name in ["a", "b", "c", "d"] { _ = allocator.allocate(service(name)) }
        let change = try allocator.setPools([pool("p", "10.0.0.0-10.0.0.1", "10.0.0.3")])
        #expect(Set(change.displaced.keys) == [id("c")])
        #expect(change.moved.isEmpty)
        #expect(allocator.assignment(for: id("d"))?.addresses == [ip("10.0.0.3")])
        #expect(allocator.allocate(service("c")).failure?.code == .poolExhausted)
    }

    @Test("renaming a pool keeps every address and reports the new pool name")
    func rename() throws {
        var allocator = try allocator(pool("old", "10.0.0.0/29"))
        _ = allocator.allocate(service("a"))
        let change = try allocator.setPools([pool("new", "10.0.0.0/24")])
        #expect(change.displaced.isEmpty)
        #expect(change.moved == [id("a"): Assignment(pool: "new", addresses: [ip("10.0.0.0")])])
        #expect(allocator.allocate(service("b")).addresses == ["10.0.0.1"])
    }

    @Test("a pool newly reserved for another namespace displaces services it no longer admits")
    func newlyReserved() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/29"))
        _ = allocator.allocate(service("team/a"))
        _ = allocator.allocate(service("other/b"))
        let change = try allocator.setPools([
            pool("p", "10.0.0.0/29", allocation: ServiceAllocation(namespaces: ["team"]))
        ])
        #expect(Set(change.displaced.keys) == [id("other/b")])
        #expect(change.displaced[id("other/b")]?.code == .poolNotAllowed)
    }

    @Test("an exhausted pool says so, and the waiting service gets the next freed address (MetalLB #2079, #1586)")
    func exhaustedThenFreed() throws {
        var allocator = try allocator(pool("public", "10.0.0.0/31"))
        _ = allocator.allocate(service("a"))
        _ = allocator.allocate(service("b"))
        let error = allocator.allocate(service("c")).failure
        #expect(error?.code == .poolExhausted)
        #expect(
            error?.description
                == "default/c: pool \"public\" is exhausted (2 of 2 IPv4 addresses in use); "
                + "free an address or add a range"
        )
        #expect(allocator.pending.keys.sorted() == [id("c")])
        let outcome = allocator.release(id("b"))
        #expect(outcome.freed == [ip("10.0.0.1")])
        #expect(outcome.retry == [id("c")])
        #expect(allocator.retryPending()[id("c")]?.addresses == ["10.0.0.1"])
        #expect(allocator.pending.isEmpty)
    }

    @Test("a release lists only the pending services a freed address can help")
    func retryOnlyHelped() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/32"))
        _ = allocator.allocate(service("holder"))
        _ = allocator.allocate(service("full"))
        _ = allocator.allocate(service("wants-it", addresses: ["10.0.0.0"]))
        _ = allocator.allocate(service("no-pool", pool: "missing"))
        _ = allocator.allocate(service("outside", addresses: ["192.0.2.1"]))
        #expect(allocator.pending.count == 4)
        #expect(allocator.release(id("holder")).retry == [id("full"), id("wants-it")])
    }

    @Test("a release lists only the services waiting on the released address's pool or on that address")
    func retryOnlyThePoolsWaiters() throws {
        var allocator = try allocator(pool("a", "10.0.0.0/32"), pool("b", "10.0.1.0/32"))
        _ = allocator.allocate(service("on-a", pool: "a"))
        _ = allocator.allocate(service("on-b", pool: "b"))
        _ = allocator.allocate(service("waits-a", pool: "a"))
        _ = allocator.allocate(service("waits-b", pool: "b"))
        _ = allocator.allocate(service("wants-b", addresses: ["10.0.1.0"]))
        #expect(allocator.pending.count == 3)
        #expect(allocator.release(id("on-b")).retry == [id("waits-b"), id("wants-b")])
        // Free space decides whether a waiter is worth trying: one free address in "b", none in "a".
        #expect(allocator.worthRetrying(id("waits-b")))
        #expect(!allocator.worthRetrying(id("waits-a")))
        #expect(allocator.allocate(service("waits-b", pool: "b")).addresses == ["10.0.1.0"])
        // The address went: "wants-b" (which asked for it) is still worth a try by its reason, not by free space.
        #expect(allocator.worthRetrying(id("wants-b")))
        // An address that stays held helps no waiter without a sharing key.
        #expect(allocator.pending(helpedBy: [ip("10.0.0.0")]).isEmpty)
    }

    @Test("a sharer leaving lists the service refused for a clash with it, though the address stays held")
    func sharerLeaves() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/24"))
        _ = allocator.allocate(service("a", addresses: ["10.0.0.5"], key: "k", ports: [tcp80]))
        _ = allocator.allocate(service("b", addresses: ["10.0.0.5"], key: "k", ports: [tcp443]))
        let clash = service("c", addresses: ["10.0.0.5"], key: "k", ports: [tcp80])
        #expect(allocator.allocate(clash).failure?.code == .addressTaken)
        let outcome = allocator.release(id("a"))
        #expect(outcome.freed.isEmpty)
        #expect(outcome.retry == [id("c")])
        #expect(allocator.allocate(clash).addresses == ["10.0.0.5"])
    }

    @Test("adding a range lists the waiting services to retry")
    func growRetries() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/32"))
        _ = allocator.allocate(service("a"))
        _ = allocator.allocate(service("b"))
        let change = try allocator.setPools([pool("p", "10.0.0.0/32", "10.0.0.8/32")])
        #expect(change.retry == [id("b")])
        #expect(allocator.retryPending()[id("b")]?.addresses == ["10.0.0.8"])
    }

    @Test("releasing a service that is only pending forgets it")
    func releasePending() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/32"))
        _ = allocator.allocate(service("a"))
        _ = allocator.allocate(service("b"))
        #expect(allocator.release(id("b")) == ReleaseOutcome(freed: [], retry: []))
        #expect(allocator.pending.isEmpty)
        #expect(allocator.release(id("a")).retry.isEmpty)
    }

    @Test("statistics count usable addresses per family, and a shared address once")
    func statistics() throws {
        var allocator = try allocator(
            pool("big", "2001:db8::/64", "10.0.0.0/24", avoidBuggyIPs: true),
            pool("small", "10.1.0.0/30")
        )
        _ = allocator.allocate(service("a", key: "k", ports: [tcp80]))
        _ = allocator.allocate(service("b", key: "k", ports: [tcp443]))
        _ = allocator.allocate(service("c", families: [.ipv6]))
        let stats = allocator.statistics()
        #expect(stats.map(\.pool) == ["big", "small"])
        #expect(stats[0].usage[.ipv4] == PoolStatistics.Usage(total: 254, inUse: 1))
        #expect(stats[0].usage[.ipv6] == PoolStatistics.Usage(total: UInt128(1) << 64, inUse: 1))
        #expect(stats[0].services == 3)
        #expect(stats[1].usage == [.ipv4: PoolStatistics.Usage(total: 4, inUse: 0)])
        #expect(stats[0].usage[.ipv6]?.free == (UInt128(1) << 64) - 1)
    }

    @Test("a whole-space IPv6 pool works")
    func wholeSpace() throws {
        var allocator = try allocator(pool("all", "::/0"))
        #expect(allocator.allocate(service("a", families: [.ipv6])).addresses == ["::"])
        #expect(allocator.statistics()[0].usage[.ipv6]?.total == .max)
    }
}
