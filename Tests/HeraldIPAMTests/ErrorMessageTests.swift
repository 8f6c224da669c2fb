import HeraldCore
import Testing

@testable import HeraldIPAM

@Suite("Operator-facing messages")
struct ErrorMessageTests {
    static let web = ServiceID(namespace: "shop", name: "web")

    @Test(
        "every reason has a stable code and a message that says what is wrong",
        arguments: [
            (
                AllocationError.Reason.noClusterIPFamily, AllocationError.Code.familyMismatch,
                "shop/web: the service has no ClusterIP family to take an address family from"
            ),
            (
                .dualStackUnavailable(families: [.ipv6]), .familyMismatch,
                "shop/web: ipFamilyPolicy RequireDualStack, but the service's ClusterIPs are IPv6 only"
            ),
            (
                .addressFamilies(addresses: [ip("2001:db8::1")], policy: .singleStack, families: [.ipv4]),
                .familyMismatch,
                "shop/web: requested 2001:db8::1 does not fit ipFamilyPolicy SingleStack with ClusterIP families IPv4; "
                    + "request one address of each family the service needs"
            ),
            (
                .poolNotFound("gold"), .poolNotFound,
                "shop/web: the address-pool annotation names pool \"gold\", which does not exist"
            ),
            (.noPoolAvailable([]), .noMatchingPool, "shop/web: no address pool is configured"),
            (
                .noPoolAvailable([PoolVerdict(pool: "a", reason: .lacksFamily(.ipv6))]), .noMatchingPool,
                "shop/web: no address pool can serve it: pool \"a\" has no usable IPv6 address"
            ),
            (
                .noPoolAvailable([
                    PoolVerdict(pool: "a", reason: .exhausted(.ipv4, inUse: 256, capacity: 256)),
                    PoolVerdict(pool: "b", reason: .autoAssignDisabled),
                ]), .poolExhausted,
                "shop/web: pool \"a\" is exhausted (256 of 256 IPv4 addresses in use); free an address or add a range "
                    + "(other pools: pool \"b\" has autoAssign off (name it in the address-pool annotation to use it))"
            ),
            (
                .addressNotInAnyPool(ip("192.0.2.1"), leftOutBy: nil), .addressNotInPool,
                "shop/web: requested 192.0.2.1 is in no address pool; add it to a pool or request another address"
            ),
            (
                .addressNotInAnyPool(ip("10.0.0.0"), leftOutBy: "p"), .addressNotInPool,
                "shop/web: requested 10.0.0.0 ends in .0 or .255, which pool \"p\" leaves out (avoidBuggyIPs)"
            ),
            (
                .addressNotInRequestedPool(ip("10.0.0.1"), pool: "a", requested: "b"), .addressNotInPool,
                "shop/web: requested 10.0.0.1 is in pool \"a\", not in the requested pool \"b\""
            ),
            (
                .poolReserved(pool: "team", reservedFor: "namespaces [team]"), .poolNotAllowed,
                "shop/web: pool \"team\" is reserved by its serviceAllocation for namespaces [team]"
            ),
            (
                .addressTaken(
                    ip("10.0.0.1"),
                    SharingConflict(holder: id("shop/db"), requester: id("shop/web"), reason: .differentKey)
                ), .addressTaken,
                "shop/web: requested 10.0.0.1 cannot be assigned: it is held by shop/db with a different "
                    + "allow-shared-ip key"
            ),
            (
                .statusDiffersFromRequest(held: [ip("10.0.0.1")], requested: [ip("10.0.0.2")]), .addressNotInPool,
                "shop/web: status holds 10.0.0.1 but the service requests 10.0.0.2"
            ),
        ] as [(AllocationError.Reason, AllocationError.Code, String)]
    )
    func message(reason: AllocationError.Reason, code: AllocationError.Code, text: String) {
        let error = AllocationError(service: Self.web, reason: reason)
        #expect(error.code == code)
        #expect(error.description == text)
    }

    @Test("ServiceAllocation describes who the pool is reserved for")
    func reservation() {
        let allocation = ServiceAllocation(
            namespaces: ["a", "b"],
            namespaceSelectors: [LabelSelector(matchLabels: ["tier": "prod"])],
            serviceSelectors: [LabelSelector(matchLabels: ["app": "web"]), LabelSelector(matchLabels: ["app": "api"])]
        )
        #expect(
            allocation.description
                == "namespaces [a, b], namespaces labelled {tier=prod}, services labelled {app=web} or {app=api}"
        )
        #expect(ServiceAllocation(priority: 3).description == "every service")
    }

    @Test("a local backend is described with its selector in a stable order")
    func backend() {
        #expect(
            ServiceBackend.local(selector: ["b": "2", "a": "1"]).description
                == "externalTrafficPolicy Local with selector {a=1,b=2}"
        )
    }
}
