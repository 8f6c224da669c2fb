import HeraldCore
import HeraldTestSupport

@testable import HeraldIPAM

/// Generates small, collision-prone configurations and requests for the property tests: few addresses, few
/// services, so that exhaustion, sharing and conflicts happen often.
struct RandomWorld {
    var random: SplitMix64

    /// Disjoint chunks of address space; each pool takes some of them, so pools never overlap.
    static let chunks = [
        "10.0.0.0-10.0.0.3", "10.0.0.4-10.0.0.7", "10.0.0.254-10.0.1.1", "10.0.1.255-10.0.2.0", "10.0.3.0/30",
        "2001:db8::-2001:db8::3", "2001:db8::10-2001:db8::13", "2001:db8::ff", "2001:db8:1::/126",
    ].map { ranges([$0])[0] }

    static let namespaces = ["ns0", "ns1", "ns2"]
    static let names = ["a", "b", "c", "d", "e", "f"]
    static let keys: [String?] = [nil, nil, "k1", "k2"]
    static let portChoices = [tcp80, tcp443, udp53]

    /// A service the generated serviceAllocations always admit, used to probe that freed addresses are usable.
    static let probe = ServiceRequest(
        id: ServiceID(namespace: "ns0", name: "probe"),
        labels: ["app": "probe"],
        namespaceLabels: ["tier": "prod"]
    )

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }

    mutating func pools() -> [Pool] {
        var owners: [Int: [IPRange]] = [:]
        for chunk in Self.chunks where chance(80) { owners[Int(random.next() % 3), default: []].append(chunk) }
        return owners.keys.sorted().map { owner in
            Pool(
                name: "p\(owner)",
                ranges: owners[owner] ?? [],
                autoAssign: chance(85),
                avoidBuggyIPs: chance(30),
                serviceAllocation: allocation(),
                sharingScope: chance(30) ? .namespace : .cluster
            )
        }
    }

    private mutating func allocation() -> ServiceAllocation? {
        switch random.next() % 6 {
        case 0: return ServiceAllocation(priority: Int(random.next() % 3))
        case 1: return ServiceAllocation(namespaces: ["ns0"])
        case 2:
            return ServiceAllocation(priority: 1, namespaceSelectors: [LabelSelector(matchLabels: ["tier": "prod"])])
        case 3:
            return ServiceAllocation(serviceSelectors: [
                LabelSelector(matchExpressions: [.init(key: "app", op: .in, values: ["probe", "web"])])
            ])
        default: return nil
        }
    }

    mutating func serviceID() -> ServiceID { ServiceID(namespace: pick(Self.namespaces), name: pick(Self.names)) }

    /// A request for `id`; requested addresses come from `candidates` (addresses of the pools and some outside).
    mutating func request(_ id: ServiceID, candidates: [IPAddress]) -> ServiceRequest {
        var request = ServiceRequest(id: id)
        request.labels = chance(50) ? ["app": "web"] : ["app": "db"]
        request.namespaceLabels = id.namespace == "ns2" ? ["tier": "dev"] : ["tier": "prod"]
        request.ipFamilyPolicy = pick(IPFamilyPolicy.allCases)
        request.families = pick([[.ipv4], [.ipv6], [.ipv4, .ipv6], [.ipv6, .ipv4]])
        if chance(25) {
            var addresses: [IPAddress] = [pick(candidates)]
            if chance(30) { addresses.append(pick(candidates)) }
            request.requestedAddresses = addresses
        }
        if chance(15) { request.requestedPool = pick(["p0", "p1", "p2", "gone"]) }
        request.sharingKey = pick(Self.keys)
        request.ports = Self.portChoices.filter { _ in chance(40) }
        request.backend = chance(70) ? .cluster : .local(selector: ["app": pick(["web", "db"])])
        return request
    }

    /// Every address of the chunks, plus two that no pool holds.
    static let candidates: [IPAddress] =
        chunks.flatMap { range in
            (range.lower.integer...range.upper.integer).map { IPAddress(family: range.family, integer: $0) }
        } + [IPAddress("192.0.2.1"), IPAddress("2001:db8:ffff::1")].compactMap { $0 }
}
