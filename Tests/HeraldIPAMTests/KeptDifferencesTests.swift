import HeraldCore
import Testing

@testable import HeraldIPAM

/// Where Herald differs from MetalLB on purpose (see "Differences from MetalLB" in the README). The other deliberate
/// differences are covered where their feature is: a single requested address on a PreferDualStack Service
/// (`DualStackTests`), services displaced at the pool edit (`PoolChangeTests`), `spec.loadBalancerIP` equal to the
/// annotation (`RequestedAllocationTests`).
@Suite("Deliberate differences from MetalLB")
struct KeptDifferencesTests {
    @Test("a single-stack service keeps its address across reconciles and pool edits that add the other family")
    func singleStackStaysPut() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/30"), pool("q", "2001:db8::/126"))
        let request = service("web", families: [.ipv4, .ipv6])
        let first = try allocator.allocate(request).get()
        #expect(first == Assignment(pool: "p", addresses: [ip("10.0.0.0")]))
        for _ in 0..<3 { #expect(try allocator.allocate(request).get() == first) }
        let change = try allocator.setPools([pool("p", "10.0.0.0/30", "2001:db8:1::/126"), pool("q", "2001:db8::/126")])
        #expect(change.gainsFamily.isEmpty && change.displaced.isEmpty)
        #expect(try allocator.allocate(request).get() == first)
    }

    @Test("a pool whose namespace selector matches no namespace serves no service through it")
    func selectorMatchingNothing() throws {
        let reserved = ServiceAllocation(namespaceSelectors: [LabelSelector(matchLabels: ["tier": "prod"])])
        var allocator = try allocator(pool("p", "10.0.0.0/30", allocation: reserved))
        let automatic = allocator.allocate(service("ns/web", namespaceLabels: ["tier": "dev"])).failure
        let verdict = PoolVerdict(pool: "p", reason: .reserved(for: reserved.description))
        #expect(automatic?.reason == .noPoolAvailable([verdict]))
        let requested = allocator.allocate(service("ns/api", addresses: ["10.0.0.1"])).failure
        #expect(requested?.code == .poolNotAllowed)
        #expect(allocator.assignments.isEmpty)
        #expect(allocator.allocate(service("ns/ok", namespaceLabels: ["tier": "prod"])).addresses == ["10.0.0.0"])
    }

    @Test("spec.loadBalancerIP and an annotation naming the same address allocate that address")
    func loadBalancerIPWithAnnotation() throws {
        let requested = try RequestedAllocation.parse(
            annotations: ["metallb.io/loadBalancerIPs": "10.0.0.2"],
            loadBalancerIP: "10.0.0.2"
        ).get()
        var request = service("web")
        request.apply(requested)
        var allocator = try allocator(pool("p", "10.0.0.0/30"))
        #expect(allocator.allocate(request).addresses == ["10.0.0.2"])
    }
}
