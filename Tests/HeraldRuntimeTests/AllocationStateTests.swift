import HeraldAllocation
import HeraldCore
import HeraldIPAM
import HeraldKube
import HeraldKubeModels
import HeraldRuntime
import Testing

/// The allocator role's decisions without I/O: what each Service gets, what its status should show, which Events.
@Suite struct AllocationStateTests {
    static func pool(_ name: String, _ ranges: String..., autoAssign: Bool = true) -> Pool {
        Pool(name: name, ranges: ranges.map { try! IPRange.parse($0).get() }, autoAssign: autoAssign)
    }

    static let pools = [pool("small", "192.0.2.0/30"), pool("v6", "2001:db8::/126")]

    static func service(
        _ name: String, namespace: String = "ns", type: String = "LoadBalancer", annotations: [String: String] = [:],
        families: [String] = ["IPv4"], policy: String? = nil, status: [String] = [],
        created: String = "2026-01-01T00:00:00Z",
        lbClass: String? = nil, port: Int = 80
    ) -> Service {
        var spec = Service.Spec(type: type, ports: [.init(port: port)])
        spec.ipFamilies = families
        spec.ipFamilyPolicy = policy
        spec.loadBalancerClass = lbClass
        var meta = ObjectMeta(name: name, namespace: namespace)
        meta.annotations = annotations
        meta.creationTimestamp = created
        return Service(
            metadata: meta, spec: spec,
            status: status.isEmpty ? nil : .init(loadBalancer: .init(ingress: status.map { .init(ip: $0) })))
    }

    static func id(_ name: String) -> ServiceID { ServiceID(namespace: "ns", name: name) }

    @Test func restoresEveryStatusBeforeServingNewServices() throws {
        // "new" sorts first and is older, but the address "old" shows is restored before anything is assigned.
        let services = [
            Self.service("a-new", created: "2026-01-01T00:00:00Z"),
            Self.service("old", status: ["192.0.2.0"], created: "2026-02-01T00:00:00Z"),
        ]
        let (state, effects) = try AllocationState.restoring(
            services, namespaceLabels: { _ in [:] }, pools: Self.pools, loadBalancerClass: nil)
        #expect(state.desired(Self.id("old"))?.addresses.map(\.description) == ["192.0.2.0"])
        #expect(state.desired(Self.id("a-new"))?.addresses.map(\.description) == ["192.0.2.1"])
        #expect(effects.events.map(\.reason) == ["IPAllocated"])
        #expect(effects.events.first?.service == Self.id("a-new"))
    }

    @Test func anAddressThatNoLongerFitsIsReplacedWithAnEvent() throws {
        let services = [Self.service("moved", status: ["203.0.113.9"])]
        let (state, effects) = try AllocationState.restoring(
            services, namespaceLabels: { _ in [:] }, pools: Self.pools, loadBalancerClass: nil)
        #expect(state.desired(Self.id("moved"))?.addresses.map(\.description) == ["192.0.2.0"])
        #expect(effects.events.map(\.reason) == ["AllocationFailed", "IPAllocated"])
        #expect(effects.events[0].message.contains("203.0.113.9 no longer fits"))
    }

    /// The storage a port list's elements are in.
    static func storage(_ ports: [ServicePort]?) -> UnsafeRawPointer? {
        ports?.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) }
    }

    @Test func requestsListingTheSamePortsShareOneList() throws {
        let (restored, _) = try AllocationState.restoring(
            [Self.service("a"), Self.service("b"), Self.service("dns", port: 53)], namespaceLabels: { _ in [:] },
            pools: Self.pools, loadBalancerClass: nil)
        var state = restored
        _ = state.update(Self.service("c"), namespaceLabels: [:])
        let ports = ["a", "b", "c", "dns"].map { state.allocator.request(for: Self.id($0))?.ports }
        #expect(ports[0] == [ServicePort(.tcp, 80)] && ports[3] == [ServicePort(.tcp, 53)])
        let a = try #require(Self.storage(ports[0]))
        #expect(Self.storage(ports[1]) == a && Self.storage(ports[2]) == a)
        #expect(Self.storage(ports[3]) != a)
    }

    @Test func servesOnlyLoadBalancersOfItsClass() throws {
        var state = try AllocationState(pools: Self.pools, loadBalancerClass: nil)
        #expect(state.update(Self.service("cip", type: "ClusterIP"), namespaceLabels: [:]).touched.isEmpty)
        #expect(state.update(Self.service("other", lbClass: "other.io/lb"), namespaceLabels: [:]).touched.isEmpty)
        #expect(state.desired(Self.id("cip")) == nil)
        #expect(state.desired(Self.id("other")) == nil)
        var classed = try AllocationState(pools: Self.pools, loadBalancerClass: "herald.dev/lb")
        _ = classed.update(Self.service("mine", lbClass: "herald.dev/lb"), namespaceLabels: [:])
        _ = classed.update(Self.service("plain"), namespaceLabels: [:])
        #expect(classed.desired(Self.id("mine"))?.addresses.count == 1)
        #expect(classed.desired(Self.id("plain")) == nil)
    }

    @Test func aBadServiceFailsAloneWithItsReason() throws {
        var state = try AllocationState(pools: Self.pools, loadBalancerClass: nil)
        let bad = state.update(
            Self.service("bad", annotations: ["metallb.io/loadBalancerIPs": "192.0.2.x"]), namespaceLabels: [:])
        #expect(bad.events.map(\.reason) == ["AllocationFailed"])
        #expect(bad.events.first?.message.contains("\"192.0.2.x\" is not an IPv4 or IPv6 address") == true)
        #expect(state.desired(Self.id("bad")) == AllocationState.Desired(addresses: [], pool: nil))
        let good = state.update(Self.service("good"), namespaceLabels: [:])
        #expect(good.events.map(\.reason) == ["IPAllocated"])
        #expect(state.desired(Self.id("good"))?.addresses.map(\.description) == ["192.0.2.0"])
        // The same failure again raises no second Event.
        let again = state.update(
            Self.service("bad", annotations: ["metallb.io/loadBalancerIPs": "192.0.2.x"]), namespaceLabels: [:])
        #expect(again.events.isEmpty)
    }

    @Test func aReleaseServesTheServiceWaitingForAnAddress() throws {
        var state = try AllocationState(pools: [Self.pool("two", "192.0.2.0/31")], loadBalancerClass: nil)
        for name in ["a", "b", "c"] { _ = state.update(Self.service(name), namespaceLabels: [:]) }
        #expect(state.desired(Self.id("c"))?.addresses == [])
        #expect(state.allocator.pending[Self.id("c")]?.code == .poolExhausted)
        let effects = state.delete(Self.id("a"))
        #expect(effects.touched.contains(Self.id("c")))
        #expect(state.desired(Self.id("c"))?.addresses.map(\.description) == ["192.0.2.0"])
        #expect(effects.events.map(\.reason) == ["IPAllocated"])
    }

    @Test func turningIntoClusterIPReleasesAndClearsOnce() throws {
        var state = try AllocationState(pools: Self.pools, loadBalancerClass: nil)
        _ = state.update(Self.service("x"), namespaceLabels: [:])
        let effects = state.update(Self.service("x", type: "ClusterIP"), namespaceLabels: [:])
        #expect(effects.cleared == [Self.id("x")])
        #expect(effects.events.map(\.reason) == ["IPReleased"])
        #expect(state.desired(Self.id("x")) == nil)
        #expect(state.allocator.assignments.isEmpty)
    }

    @Test func aPoolEditMovesExactlyTheDisplacedServices() throws {
        var state = try AllocationState(
            pools: [Self.pool("a", "192.0.2.0/30"), Self.pool("b", "198.51.100.0/30")], loadBalancerClass: nil)
        _ = state.update(Self.service("in-a"), namespaceLabels: [:])
        _ = state.update(
            Self.service("in-b", annotations: ["metallb.io/address-pool": "b"]), namespaceLabels: [:])
        let effects = try state.setPools([Self.pool("a", "192.0.2.0/30"), Self.pool("b", "198.51.100.4/30")])
        #expect(state.desired(Self.id("in-a"))?.addresses.map(\.description) == ["192.0.2.0"])
        #expect(state.desired(Self.id("in-b"))?.addresses.map(\.description) == ["198.51.100.4"])
        #expect(effects.events.map(\.reason) == ["IPReleased", "IPAllocated"])
        #expect(Set(effects.events.map(\.service)) == [Self.id("in-b")])
        // Invalid pools change nothing.
        #expect(throws: PoolConfigError.self) {
            _ = try state.setPools([Self.pool("a", "192.0.2.0/30"), Self.pool("c", "192.0.2.0/30")])
        }
        #expect(state.desired(Self.id("in-b"))?.addresses.map(\.description) == ["198.51.100.4"])
    }

    @Test func dualStackGetsBothFamiliesFromOnePool() throws {
        var state = try AllocationState(
            pools: [Self.pool("dual", "192.0.2.0/30", "2001:db8::/126")], loadBalancerClass: nil)
        _ = state.update(
            Self.service("d", families: ["IPv6", "IPv4"], policy: "RequireDualStack"), namespaceLabels: [:])
        #expect(state.desired(Self.id("d"))?.addresses.map(\.description) == ["2001:db8::", "192.0.2.0"])
        let bad = state.update(Self.service("p", policy: "SomeStack"), namespaceLabels: [:])
        #expect(bad.events.first?.message.contains("spec.ipFamilyPolicy \"SomeStack\"") == true)
    }

    /// A Service of another namespace that asks for an address held under a sharing key learns neither the key nor
    /// the holder, from its Event or from its pending reason (what `herald status` prints), whatever it sets.
    @Test func aRefusedSharerOfAnotherNamespaceSeesNoKey() throws {
        var state = try AllocationState(pools: Self.pools, loadBalancerClass: nil)
        let share = "metallb.io/allow-shared-ip"
        let ask = "metallb.io/loadBalancerIPs"
        _ = state.update(
            Self.service("holder", namespace: "team-a", annotations: [share: "s3cret"]), namespaceLabels: [:])
        let intruders = [
            Self.service("no-key", namespace: "team-b", annotations: [ask: "192.0.2.0"], port: 8080),
            Self.service("wrong-key", namespace: "team-b", annotations: [ask: "192.0.2.0", share: "x"], port: 8080),
            Self.service("right-key-same-port", namespace: "team-b", annotations: [ask: "192.0.2.0", share: "s3cret"]),
        ]
        for intruder in intruders {
            let id = ServiceID(intruder)
            let effects = state.update(intruder, namespaceLabels: [:])
            let messages = effects.events.filter { $0.reason == "AllocationFailed" }.map(\.message)
            #expect(messages.count == 1, "\(id): \(effects.events)")
            let pending = try #require(state.allocator.pending[id])
            for text in messages + [pending.detail, pending.description] + effects.events.map(\.description) {
                #expect(!text.contains("s3cret"), "\(id): \(text)")
                #expect(!text.contains("team-a") && !text.contains("holder"), "\(id): \(text)")
                #expect(text.contains("192.0.2.0"), "\(id): \(text)")
            }
        }
    }

    /// With `sharingScope: namespace`, the right key and free ports are not enough across namespaces; within one,
    /// sharing is unchanged.
    @Test func namespaceScopeRefusesTheRightKeyFromAnotherNamespace() throws {
        var pool = Self.pool("small", "192.0.2.0/30")
        pool.sharingScope = .namespace
        var state = try AllocationState(pools: [pool], loadBalancerClass: nil)
        let share = "metallb.io/allow-shared-ip"
        let ask = "metallb.io/loadBalancerIPs"
        _ = state.update(
            Self.service("holder", namespace: "team-a", annotations: [share: "k"]), namespaceLabels: [:])
        let refused = state.update(
            Self.service("acme", namespace: "team-b", annotations: [ask: "192.0.2.0", share: "k"], port: 8080),
            namespaceLabels: [:])
        #expect(refused.events.map(\.reason) == ["AllocationFailed"])
        #expect(refused.events.first?.message.contains("sharingScope: namespace") == true)
        #expect(state.desired(ServiceID(namespace: "team-b", name: "acme"))?.addresses == [])
        let shared = state.update(
            Self.service("api", namespace: "team-a", annotations: [ask: "192.0.2.0", share: "k"], port: 8080),
            namespaceLabels: [:])
        #expect(shared.events.map(\.reason) == ["IPAllocated"])
        #expect(
            state.desired(ServiceID(namespace: "team-a", name: "api"))?.addresses.map(\.description) == ["192.0.2.0"])
    }

    /// One tenant's churn (a Service whose address changes, again and again) used to retry every pending Service of
    /// the cluster each time. Now it retries only the ones the address it gave up can help, and a freed address is
    /// tried by the pending Services only until one takes it.
    @Test func oneTenantsChurnDoesNotRetryEveryPendingService() throws {
        var state = try AllocationState(
            pools: [Self.pool("two", "192.0.2.0/31"), Self.pool("other", "198.51.100.0/29")], loadBalancerClass: nil)
        let named = ["metallb.io/address-pool": "two"]
        for name in ["a", "b"] {
            _ = state.update(Self.service(name, namespace: "full", annotations: named), namespaceLabels: [:])
        }
        let waiters = (0..<50).map { Self.service("w\($0)", namespace: "waiting", annotations: named) }
        for waiter in waiters { _ = state.update(waiter, namespaceLabels: [:]) }
        #expect(state.allocator.pending.count == 50)
        // The tenant's Service moves from address to address in the other pool.
        for round in 0..<6 {
            let churn = Self.service(
                "churn", namespace: "tenant",
                annotations: ["metallb.io/loadBalancerIPs": "198.51.100.\(round)", "metallb.io/address-pool": "other"])
            let effects = state.update(churn, namespaceLabels: [:])
            #expect(effects.touched == [ServiceID(namespace: "tenant", name: "churn")], "round \(round)")
        }
        // One freed address of the exhausted pool: the first waiter gets it, and the other 49 are not tried.
        let freed = state.delete(ServiceID(namespace: "full", name: "a"))
        #expect(freed.touched == [ServiceID(namespace: "waiting", name: "w0")])
        #expect(
            state.desired(ServiceID(namespace: "waiting", name: "w0"))?.addresses.map(\.description) == ["192.0.2.0"])
        #expect(freed.events.map(\.reason) == ["IPAllocated"])
        #expect(state.allocator.pending.count == 49)
    }

    /// A Service waiting for an address that two Services share, refused for a port clash with one of them, gets it
    /// when that one goes, although the address stays held (it used to wait for another change).
    @Test func aSharerLeavingLetsTheRefusedOneIn() throws {
        var state = try AllocationState(pools: Self.pools, loadBalancerClass: nil)
        let share = "metallb.io/allow-shared-ip"
        let ask = "metallb.io/loadBalancerIPs"
        _ = state.update(Self.service("a", annotations: [share: "k", ask: "192.0.2.0"]), namespaceLabels: [:])
        _ = state.update(
            Self.service("b", annotations: [share: "k", ask: "192.0.2.0"], port: 443), namespaceLabels: [:])
        let refused = state.update(
            Self.service("c", annotations: [share: "k", ask: "192.0.2.0"]), namespaceLabels: [:])
        #expect(refused.events.map(\.reason) == ["AllocationFailed"])
        let effects = state.delete(Self.id("a"))
        #expect(effects.events.map(\.reason) == ["IPAllocated"])
        #expect(state.desired(Self.id("c"))?.addresses.map(\.description) == ["192.0.2.0"])
    }
}
