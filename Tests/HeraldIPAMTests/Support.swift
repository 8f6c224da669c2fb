import HeraldCore
import Testing

@testable import HeraldIPAM

/// Parses an address written in a test.
func ip(_ text: String) -> IPAddress {
    guard let address = IPAddress(text) else { preconditionFailure("bad address in test: \(text)") }
    return address
}

/// Parses pool entries written in a test (CIDR, a-b or single address).
func ranges(_ texts: [String]) -> [IPRange] {
    texts.map { text in
        switch IPRange.parse(text) {
        case .success(let range): return range
        case .failure(let error): preconditionFailure("bad range in test: \(error)")
        }
    }
}

func pool(
    _ name: String,
    _ entries: String...,
    autoAssign: Bool = true,
    avoidBuggyIPs: Bool = false,
    allocation: ServiceAllocation? = nil,
    sharingScope: SharingScope = .cluster
) -> Pool {
    Pool(
        name: name,
        ranges: ranges(entries),
        autoAssign: autoAssign,
        avoidBuggyIPs: avoidBuggyIPs,
        serviceAllocation: allocation,
        sharingScope: sharingScope
    )
}

/// A request for `namespace/name` (written "ns/name", or "name" in namespace "default").
func service(
    _ qualified: String,
    policy: IPFamilyPolicy = .singleStack,
    families: [IPFamily] = [.ipv4],
    addresses: [String] = [],
    pool: String? = nil,
    key: String? = nil,
    ports: [ServicePort] = [],
    backend: ServiceBackend = .cluster,
    labels: [String: String] = [:],
    namespaceLabels: [String: String] = [:]
) -> ServiceRequest {
    let parts = qualified.split(separator: "/").map(String.init)
    let id =
        parts.count == 2
        ? ServiceID(namespace: parts[0], name: parts[1]) : ServiceID(namespace: "default", name: qualified)
    return ServiceRequest(
        id: id,
        labels: labels,
        namespaceLabels: namespaceLabels,
        ipFamilyPolicy: policy,
        families: families,
        requestedAddresses: addresses.map(ip),
        requestedPool: pool,
        sharingKey: key,
        ports: ports,
        backend: backend
    )
}

func id(_ qualified: String) -> ServiceID { service(qualified).id }

func allocator(_ pools: Pool...) throws -> Allocator { try Allocator(pools: pools) }

extension Result {
    /// The addresses of a successful allocation, as text; nil on failure.
    var addresses: [String]? {
        guard case .success(let value) = self, let assignment = value as? Assignment else { return nil }
        return assignment.addresses.map(\.description)
    }

    var failure: Failure? {
        guard case .failure(let error) = self else { return nil }
        return error
    }
}

let tcp80 = ServicePort(.tcp, 80)
let tcp443 = ServicePort(.tcp, 443)
let udp53 = ServicePort(.udp, 53)
