import HeraldCore
import Testing

@testable import HeraldIPAM

@Suite("Restart and restore")
struct RestoreTests {
    @Test("existing services are re-registered before new ones are served (MetalLB #1774, #2443, #2479)")
    func restartOrdering() throws {
        // Before the restart: "old" held 10.0.0.0; "new" was created while Herald was down.
        var (allocator, report) = try Allocator.restoring(
            [ExistingAssignment(request: service("old"), addresses: [ip("10.0.0.0")])],
            pools: [pool("p", "10.0.0.0/30")]
        )
        #expect(report.rejected.isEmpty)
        #expect(report.restored == [id("old"): Assignment(pool: "p", addresses: [ip("10.0.0.0")])])
        #expect(allocator.allocate(service("new")).addresses == ["10.0.0.1"])
        #expect(allocator.allocate(service("old")).addresses == ["10.0.0.0"])
    }

    @Test("a one-address pool keeps its holder across a restart while another service waits (MetalLB #1774)")
    func singleAddressPool() throws {
        var allocator = try allocator(pool("p", "192.168.0.2"))
        _ = allocator.restore([ExistingAssignment(request: service("svc1"), addresses: [ip("192.168.0.2")])])
        #expect(allocator.allocate(service("svc2")).failure?.code == .poolExhausted)
        #expect(allocator.allocate(service("svc1")).addresses == ["192.168.0.2"])
        #expect(allocator.services(holding: ip("192.168.0.2")) == [id("svc1")])
    }

    @Test("an annotated address survives a restart with pending services around (MetalLB #1984)")
    func annotatedAddress() throws {
        var allocator = try allocator(pool("p", "192.168.20.10-192.168.20.11"))
        let pinned = service("vin-nginx", addresses: ["192.168.20.10"])
        _ = allocator.restore([ExistingAssignment(request: pinned, addresses: [ip("192.168.20.10")])])
        #expect(allocator.allocate(service("pending-1")).addresses == ["192.168.20.11"])
        #expect(allocator.allocate(service("pending-2")).failure?.code == .poolExhausted)
        #expect(allocator.allocate(pinned).addresses == ["192.168.20.10"])
    }

    @Test("serving a new service before restoring would have taken the old one's address")
    func wrongOrderIsDetected() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/30"))
        _ = allocator.allocate(service("new"))
        let report = allocator.restore([ExistingAssignment(request: service("old"), addresses: [ip("10.0.0.0")])])
        #expect(report.rejected[id("old")]?.code == .addressTaken)
        #expect(allocator.services(holding: ip("10.0.0.0")) == [id("new")])
        #expect(allocator.pending[id("old")] != nil)
    }

    @Test("when two statuses claim one address, the earlier entry keeps it and the other is pending")
    func conflictingStatuses() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/30"))
        let report = allocator.restore([
            ExistingAssignment(request: service("older"), addresses: [ip("10.0.0.2")]),
            ExistingAssignment(request: service("younger"), addresses: [ip("10.0.0.2")]),
        ])
        #expect(report.restored[id("older")]?.addresses == [ip("10.0.0.2")])
        #expect(report.rejected[id("younger")]?.code == .addressTaken)
        let retried = allocator.retryPending()
        #expect(retried[id("younger")]?.addresses == ["10.0.0.0"])
        #expect(allocator.pending.isEmpty)
    }

    @Test("compatible sharers restore together")
    func sharedRestore() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/30"))
        let report = allocator.restore([
            ExistingAssignment(request: service("a", key: "k", ports: [tcp80]), addresses: [ip("10.0.0.1")]),
            ExistingAssignment(request: service("b", key: "k", ports: [tcp443]), addresses: [ip("10.0.0.1")]),
        ])
        #expect(report.rejected.isEmpty)
        #expect(allocator.services(holding: ip("10.0.0.1")) == [id("a"), id("b")])
    }

    @Test(
        "a status that no longer fits is rejected with the reason",
        arguments: [
            (service("web"), ["192.168.1.1"], AllocationError.Code.addressNotInPool),
            (service("web", addresses: ["10.0.0.3"]), ["10.0.0.2"], .addressNotInPool),
            (service("web", families: [.ipv6]), ["10.0.0.2"], .familyMismatch),
            (service("web", pool: "other"), ["10.0.0.2"], .addressNotInPool),
            (service("web", pool: "missing"), ["10.0.0.2"], .poolNotFound),
            (service("other-ns/web"), ["10.0.9.1"], .poolNotAllowed),
        ] as [(ServiceRequest, [String], AllocationError.Code)]
    )
    func staleStatus(request: ServiceRequest, status: [String], code: AllocationError.Code) throws {
        var allocator = try allocator(
            pool("p", "10.0.0.0/30"),
            pool("other", "10.0.1.0/30"),
            pool("team", "10.0.9.0/24", allocation: ServiceAllocation(namespaces: ["team"]))
        )
        let report = allocator.restore([ExistingAssignment(request: request, addresses: status.map(ip))])
        #expect(report.rejected[request.id]?.code == code)
        #expect(allocator.assignments.isEmpty)
    }

    @Test("a status on a deleted pool is rejected and the service gets a current address")
    func poolDeletedWhileDown() throws {
        var allocator = try allocator(pool("new", "10.1.0.0/30"))
        let report = allocator.restore([ExistingAssignment(request: service("web"), addresses: [ip("10.0.0.5")])])
        #expect(report.rejected[id("web")]?.reason == .addressNotInAnyPool(ip("10.0.0.5"), leftOutBy: nil))
        #expect(allocator.allocate(service("web")).addresses == ["10.1.0.0"])
    }

    @Test("restoring everything into a fresh allocator reproduces the assignment")
    func reproduces() throws {
        let pools = [pool("a", "10.0.0.0/28", "2001:db8::/120"), pool("b", "10.0.1.0/28", autoAssign: false)]
        var allocator = try Allocator(pools: pools)
        _ = allocator.allocate(service("one"))
        _ = allocator.allocate(service("two", policy: .requireDualStack, families: [.ipv6, .ipv4]))
        _ = allocator.allocate(service("three", pool: "b", key: "k", ports: [tcp80]))
        _ = allocator.allocate(service("four", pool: "b", key: "k", ports: [tcp443]))
        _ = allocator.release(id("one"))
        var fresh = try Allocator(pools: pools)
        let entries = allocator.assignments.keys.sorted().reversed().compactMap { id in
            allocator.held[id].map { ExistingAssignment(request: $0.request, addresses: $0.assignment.addresses) }
        }
        #expect(fresh.restore(entries).rejected.isEmpty)
        #expect(fresh.assignments == allocator.assignments)
        #expect(fresh.statistics() == allocator.statistics())
    }
}
