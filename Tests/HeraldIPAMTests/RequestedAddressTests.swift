import HeraldCore
import Testing

@testable import HeraldIPAM

@Suite("Requested addresses")
struct RequestedAddressTests {
    static func standard() throws -> Allocator {
        try Allocator(pools: [
            pool("open", "10.0.0.0/24", "2001:db8::/64"),
            pool("manual", "10.0.1.0/24", autoAssign: false),
            pool("team", "10.0.2.0/24", allocation: ServiceAllocation(namespaces: ["team"])),
        ])
    }

    @Test(
        "a requested address is validated against pools, families and the pool annotation",
        arguments: [
            (service("web", addresses: ["10.0.0.77"]), nil),
            (service("web", addresses: ["10.0.1.5"]), nil),
            (service("team/web", addresses: ["10.0.2.5"]), nil),
            (service("web", addresses: ["10.0.1.5"], pool: "manual"), nil),
            (service("web", addresses: ["10.0.2.5"]), AllocationError.Code.poolNotAllowed),
            (service("web", addresses: ["192.168.0.1"]), .addressNotInPool),
            (service("web", addresses: ["10.0.1.5"], pool: "open"), .addressNotInPool),
            (service("web", policy: .preferDualStack, addresses: ["10.0.0.5", "10.0.1.5"]), .familyMismatch),
            (service("web", addresses: ["2001:db8::5"]), .familyMismatch),
            (service("web", addresses: ["10.0.0.5"], pool: "gone"), .poolNotFound),
            (
                service(
                    "web",
                    policy: .requireDualStack,
                    families: [.ipv4, .ipv6],
                    addresses: ["10.0.0.5", "10.0.1.5"]
                ),
                .familyMismatch
            ),
        ] as [(ServiceRequest, AllocationError.Code?)]
    )
    func validation(request: ServiceRequest, expected: AllocationError.Code?) throws {
        var allocator = try Self.standard()
        let result = allocator.allocate(request)
        #expect(result.failure?.code == expected)
        if expected == nil {
            #expect(result.addresses == request.requestedAddresses.map(\.description))
        } else {
            #expect(allocator.assignments.isEmpty)
            #expect(allocator.pending[request.id] != nil)
        }
    }

    @Test("addresses from two pools are refused")
    func differentPools() throws {
        var allocator = try Allocator(pools: [pool("a", "10.0.0.0/24"), pool("b", "2001:db8::/64")])
        let request = service(
            "web",
            policy: .requireDualStack,
            families: [.ipv4, .ipv6],
            addresses: ["10.0.0.1", "2001:db8::1"]
        )
        let error = allocator.allocate(request).failure
        #expect(error?.reason == .addressesInDifferentPools([ip("10.0.0.1"): "a", ip("2001:db8::1"): "b"]))
        #expect(error?.description.contains("must all come from one pool") == true)
    }

    @Test("a requested address held by a service that does not share is refused, naming the holder")
    func taken() throws {
        var allocator = try Self.standard()
        _ = allocator.allocate(service("first"))
        let error = allocator.allocate(service("second", addresses: ["10.0.0.0"])).failure
        #expect(error?.code == .addressTaken)
        #expect(
            error?.description
                == "default/second: requested 10.0.0.0 cannot be assigned: it is held by default/first, which does "
                + "not allow sharing (no allow-shared-ip annotation)"
        )
    }

    @Test("auto allocation never hands out an address someone requested earlier")
    func requestedThenAuto() throws {
        var allocator = try Allocator(pools: [pool("p", "10.0.0.0/30")])
        #expect(allocator.allocate(service("pinned", addresses: ["10.0.0.1"])).addresses == ["10.0.0.1"])
        let auto = ["a", "b", "c"].compactMap { allocator.allocate(service($0)).addresses?.first }
        #expect(auto == ["10.0.0.0", "10.0.0.2", "10.0.0.3"])
        #expect(allocator.allocate(service("d")).failure?.code == .poolExhausted)
    }

    @Test("changing the requested address moves the service and frees the old one")
    func changeRequest() throws {
        var allocator = try Self.standard()
        #expect(allocator.allocate(service("web", addresses: ["10.0.0.9"])).addresses == ["10.0.0.9"])
        #expect(allocator.allocate(service("web", addresses: ["10.0.0.10"])).addresses == ["10.0.0.10"])
        #expect(allocator.services(holding: ip("10.0.0.9")).isEmpty)
        #expect(allocator.allocate(service("other", addresses: ["10.0.0.9"])).addresses == ["10.0.0.9"])
        // Dropping the request keeps the address it holds: it still fits.
        #expect(allocator.allocate(service("web")).addresses == ["10.0.0.10"])
    }

    @Test("a service keeps its address across updates, and moves when it names another pool")
    func keepsAddress() throws {
        var allocator = try Self.standard()
        #expect(allocator.allocate(service("web")).addresses == ["10.0.0.0"])
        _ = allocator.allocate(service("other"))
        _ = allocator.release(id("other"))
        #expect(allocator.allocate(service("web", ports: [tcp80])).addresses == ["10.0.0.0"])
        #expect(
            try allocator.allocate(service("web", pool: "manual")).get()
                == Assignment(pool: "manual", addresses: [ip("10.0.1.0")])
        )
        #expect(allocator.services(holding: ip("10.0.0.0")).isEmpty)
    }

    @Test("a service whose labels leave a reserved pool's selection gets a new address")
    func leavesReservation() throws {
        var allocator = try Allocator(pools: [
            pool(
                "blue",
                "10.0.0.0/24",
                allocation: ServiceAllocation(
                    priority: 1,
                    serviceSelectors: [LabelSelector(matchLabels: ["color": "blue"])]
                )
            ),
            pool("open", "10.0.9.0/24"),
        ])
        #expect(allocator.allocate(service("web", labels: ["color": "blue"])).addresses == ["10.0.0.0"])
        #expect(allocator.allocate(service("web", labels: ["color": "red"])).addresses == ["10.0.9.0"])
    }
}
