import HeraldCore
import Testing

@testable import HeraldIPAM

@Suite("Pool selection")
struct PoolSelectionTests {
    @Test(
        "pools are tried by priority (lower first, unset last), then name",
        arguments: [
            ([("b", nil), ("a", nil)], "a"),
            ([("a", nil), ("z", 5)], "z"),
            ([("z", 5), ("y", 1), ("a", nil)], "y"),
            ([("m", 2), ("k", 2)], "k"),
            ([("x", -1), ("y", 0)], "x"),
        ] as [([(String, Int?)], String)]
    )
    func order(layout: [(String, Int?)], expected: String) throws {
        let pools = layout.enumerated().map { index, entry in
            pool(
                entry.0,
                "10.0.\(index).0/24",
                allocation: entry.1.map { ServiceAllocation(priority: $0) }
            )
        }
        var allocator = try Allocator(pools: pools)
        #expect(try allocator.allocate(service("web")).get().pool == expected)
    }

    @Test("pools reserved for the service come before every open pool, then by priority (unset last) and name")
    func reservedFirst() throws {
        // MetalLB tries the pools whose serviceAllocation selects the service first (MetalLB #1693), and the open
        // pools only when those are full. "a-open" sorts first by name; the reserved ones are ordered by priority.
        var allocator = try allocator(
            pool("a-open", "10.0.0.0/32"),
            pool("b-team", "10.0.1.0/32", allocation: ServiceAllocation(namespaces: ["team"])),
            pool("c-team-5", "10.0.2.0/32", allocation: ServiceAllocation(priority: 5, namespaces: ["team"])),
            pool("d-team-1", "10.0.3.0/32", allocation: ServiceAllocation(priority: 1, namespaces: ["team"])),
            pool("e-other", "10.0.4.0/32", allocation: ServiceAllocation(priority: 0, namespaces: ["other"]))
        )
        let got = (1...5).map { try? allocator.allocate(service("team/s\($0)")).get().pool }
        #expect(got == ["d-team-1", "c-team-5", "b-team", "a-open", nil])
        #expect(allocator.pools.map(\.name) == ["e-other", "d-team-1", "c-team-5", "b-team", "a-open"])
    }

    @Test("a reserved pool without a priority still comes before an open pool that sorts first by name")
    func reservedWithoutPriority() throws {
        var allocator = try allocator(
            pool("a-open", "10.0.0.0/24"),
            pool("z-team", "10.0.9.0/24", allocation: ServiceAllocation(namespaces: ["team"]))
        )
        #expect(try allocator.allocate(service("team/web")).get().pool == "z-team")
        #expect(try allocator.allocate(service("other/web")).get().pool == "a-open")
    }

    @Test("the lowest free address is handed out, deterministically")
    func lowestFree() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/29", "10.0.1.0/30"))
        let names = (0..<10).map { "s\($0)" }
        let got = names.compactMap { allocator.allocate(service($0)).addresses?.first }
        #expect(
            got == [
                "10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6",
                "10.0.0.7", "10.0.1.0", "10.0.1.1",
            ]
        )
        _ = allocator.release(id("s3"))
        #expect(allocator.allocate(service("late")).addresses == ["10.0.0.3"])
    }

    @Test("autoAssign: false pools are skipped unless named")
    func autoAssign() throws {
        var allocator = try allocator(pool("manual", "10.0.0.0/24", autoAssign: false), pool("zauto", "10.0.9.0/24"))
        #expect(try allocator.allocate(service("a")).get().pool == "zauto")
        #expect(try allocator.allocate(service("b", pool: "manual")).get().pool == "manual")
    }

    @Test("only autoAssign: false pools gives a reason an operator can act on")
    func autoAssignOnly() throws {
        var allocator = try allocator(pool("manual", "10.0.0.0/24", autoAssign: false))
        let error = allocator.allocate(service("a")).failure
        #expect(error?.code == .noMatchingPool)
        #expect(error?.description.contains("pool \"manual\" has autoAssign off") == true)
    }

    struct Reservation: Sendable, CustomTestStringConvertible {
        var name: String
        var allocation: ServiceAllocation
        var request: ServiceRequest
        var reserved: Bool
        var testDescription: String { name }
    }

    static let reservations: [Reservation] = [
        Reservation(
            name: "namespace listed",
            allocation: ServiceAllocation(namespaces: ["team"]),
            request: service("team/web"),
            reserved: true
        ),
        Reservation(
            name: "namespace not listed",
            allocation: ServiceAllocation(namespaces: ["team"]),
            request: service("other/web"),
            reserved: false
        ),
        Reservation(
            name: "namespace selector matches",
            allocation: ServiceAllocation(namespaceSelectors: [LabelSelector(matchLabels: ["tier": "prod"])]),
            request: service("ns/web", namespaceLabels: ["tier": "prod"]),
            reserved: true
        ),
        Reservation(
            name: "namespace selector does not match",
            allocation: ServiceAllocation(namespaceSelectors: [LabelSelector(matchLabels: ["tier": "prod"])]),
            request: service("ns/web", namespaceLabels: ["tier": "dev"]),
            reserved: false
        ),
        Reservation(
            name: "namespace listed though selector does not match",
            allocation: ServiceAllocation(
                namespaces: ["ns"],
                namespaceSelectors: [LabelSelector(matchLabels: ["tier": "prod"])]
            ),
            request: service("ns/web"),
            reserved: true
        ),
        Reservation(
            name: "service selector matches",
            allocation: ServiceAllocation(serviceSelectors: [
                LabelSelector(matchExpressions: [.init(key: "app", op: .in, values: ["web", "api"])])
            ]),
            request: service("web", labels: ["app": "api"]),
            reserved: true
        ),
        Reservation(
            name: "service selector does not match",
            allocation: ServiceAllocation(serviceSelectors: [LabelSelector(matchLabels: ["app": "web"])]),
            request: service("web", labels: ["app": "db"]),
            reserved: false
        ),
        Reservation(
            name: "namespace matches but service selector does not",
            allocation: ServiceAllocation(
                namespaces: ["team"],
                serviceSelectors: [LabelSelector(matchLabels: ["app": "web"])]
            ),
            request: service("team/web"),
            reserved: false
        ),
        Reservation(
            name: "priority only matches everyone",
            allocation: ServiceAllocation(priority: 9),
            request: service("any/web"),
            reserved: true
        ),
    ]

    @Test("serviceAllocation reserves a pool for what it matches", arguments: reservations)
    func serviceAllocation(_ c: Reservation) throws {
        // The reserved pool sorts first by name and by priority; the open pool catches the rest.
        var allocation = c.allocation
        allocation.priority = allocation.priority ?? 1
        var allocator = try allocator(
            pool("a-reserved", "10.0.0.0/24", allocation: allocation),
            pool("b-open", "10.0.1.0/24")
        )
        let got = try allocator.allocate(c.request).get()
        #expect(got.pool == (c.reserved ? "a-reserved" : "b-open"))
    }

    @Test("a reserved pool is not used by others even when every other pool is full")
    func reservedStaysReserved() throws {
        var allocator = try allocator(
            pool("team", "10.0.0.0/24", allocation: ServiceAllocation(namespaces: ["team"])),
            pool("open", "10.0.1.0/32")
        )
        #expect(allocator.allocate(service("x/first")).addresses == ["10.0.1.0"])
        let error = allocator.allocate(service("x/second")).failure
        #expect(error?.code == .poolExhausted)
        #expect(error?.description.contains("pool \"team\" is reserved for namespaces [team]") == true)
        #expect(allocator.allocate(service("team/web", pool: "team")).addresses == ["10.0.0.0"])
        #expect(allocator.allocate(service("x/third", pool: "team")).failure?.code == .noMatchingPool)
    }

    @Test("a named pool that does not exist is reported as such")
    func unknownPool() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/24"))
        let error = allocator.allocate(service("web", pool: "nope")).failure
        #expect(error?.code == .poolNotFound)
        #expect(
            error?.description == "default/web: the address-pool annotation names pool \"nope\", which does not exist"
        )
    }

    @Test("avoidBuggyIPs skips .0 and .255 without scanning")
    func avoidBuggy() throws {
        var allocator = try allocator(pool("p", "10.0.0.254-10.0.2.0", avoidBuggyIPs: true))
        #expect(allocator.allocate(service("a")).addresses == ["10.0.0.254"])
        #expect(allocator.allocate(service("b")).addresses == ["10.0.1.1"])
        #expect(allocator.statistics()[0].usage[.ipv4]?.total == 255)
        let buggy = allocator.allocate(service("c", addresses: ["10.0.1.255"])).failure
        #expect(buggy?.reason == .addressNotInAnyPool(ip("10.0.1.255"), leftOutBy: "p"))
        #expect(allocator.allocate(service("d", addresses: ["10.0.1.254"])).addresses == ["10.0.1.254"])
    }

    @Test("a pool whose only range is a .255-.0 pair has nothing to give with avoidBuggyIPs")
    func nothingUsable() throws {
        var allocator = try allocator(pool("edge", "10.0.0.255-10.0.1.0", avoidBuggyIPs: true))
        let error = allocator.allocate(service("a")).failure
        #expect(error?.reason == .noPoolAvailable([PoolVerdict(pool: "edge", reason: .lacksFamily(.ipv4))]))
        #expect(allocator.statistics()[0].usage[.ipv4] == PoolStatistics.Usage(total: 0, inUse: 0))
    }

    @Test("without avoidBuggyIPs .0 and .255 are ordinary addresses")
    func buggyAllowed() throws {
        var allocator = try allocator(pool("p", "10.0.0.255-10.0.1.0"))
        #expect(allocator.allocate(service("a")).addresses == ["10.0.0.255"])
        #expect(allocator.allocate(service("b")).addresses == ["10.0.1.0"])
    }

    @Test("no pool at all")
    func noPools() throws {
        var allocator = try Allocator(pools: [])
        #expect(allocator.allocate(service("web")).failure?.description == "default/web: no address pool is configured")
    }
}
