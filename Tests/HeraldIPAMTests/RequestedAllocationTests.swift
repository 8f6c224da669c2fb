import HeraldCore
import Testing

@testable import HeraldIPAM

@Suite("Reading annotations")
struct RequestedAllocationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var annotations: [String: String]
        var loadBalancerIP: String? = nil
        var addresses: [String] = []
        var pool: String? = nil
        var key: String? = nil
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "nothing", annotations: [:]),
        Case(
            name: "metallb.io addresses",
            annotations: ["metallb.io/loadBalancerIPs": "10.0.0.1, 2001:db8::1"],
            addresses: ["10.0.0.1", "2001:db8::1"]
        ),
        Case(
            name: "deprecated prefix still read",
            annotations: [
                "metallb.universe.tf/loadBalancerIPs": "10.0.0.2",
                "metallb.universe.tf/address-pool": "old", "metallb.universe.tf/allow-shared-ip": "k",
            ],
            addresses: ["10.0.0.2"],
            pool: "old",
            key: "k"
        ),
        Case(
            name: "herald.dev wins over metallb.io and the deprecated prefix",
            annotations: [
                "herald.dev/address-pool": "h", "metallb.io/address-pool": "m",
                "metallb.universe.tf/address-pool": "u", "metallb.io/allow-shared-ip": "m-key",
                "metallb.universe.tf/allow-shared-ip": "u-key",
            ],
            pool: "h",
            key: "m-key"
        ),
        Case(
            name: "metallb.io wins over the deprecated prefix",
            annotations: ["metallb.io/loadBalancerIPs": "10.0.0.3", "metallb.universe.tf/loadBalancerIPs": "10.0.0.4"],
            addresses: ["10.0.0.3"]
        ),
        Case(
            name: "an empty annotation counts as unset",
            annotations: ["herald.dev/address-pool": "", "metallb.io/address-pool": "m"],
            pool: "m"
        ),
        Case(name: "spec.loadBalancerIP alone", annotations: [:], loadBalancerIP: "10.0.0.9", addresses: ["10.0.0.9"]),
        Case(
            name: "spec.loadBalancerIP equal to the annotation",
            annotations: ["metallb.io/loadBalancerIPs": "10.0.0.9"],
            loadBalancerIP: "10.0.0.9",
            addresses: ["10.0.0.9"]
        ),
        Case(name: "empty spec.loadBalancerIP", annotations: [:], loadBalancerIP: ""),
    ]

    @Test("precedence and parsing", arguments: cases)
    func parses(_ c: Case) throws {
        let parsed = try RequestedAllocation.parse(annotations: c.annotations, loadBalancerIP: c.loadBalancerIP).get()
        #expect(parsed.addresses == c.addresses.map(ip))
        #expect(parsed.pool == c.pool)
        #expect(parsed.sharingKey == c.key)
    }

    @Test(
        "bad or conflicting requests are errors",
        arguments: [
            (["metallb.io/loadBalancerIPs": "10.0.0.300"], nil, "metallb.io/loadBalancerIPs: \"10.0.0.300\""),
            (["herald.dev/loadBalancerIPs": "10.0.0.1,10.0.0.1"], nil, "names 10.0.0.1 twice"),
            (["metallb.io/loadBalancerIPs": "10.0.0.1,"], nil, "is not an IPv4 or IPv6 address"),
            ([:], "banana", "spec.loadBalancerIP: \"banana\""),
            (["metallb.io/loadBalancerIPs": "10.0.0. 1"], nil, "\"10.0.0. 1\" is not an IPv4 or IPv6 address"),
            (["metallb.io/loadBalancerIPs": "10.0.0.1"], "10.0.0.2", "disagree"),
        ] as [([String: String], String?, String)]
    )
    func errors(annotations: [String: String], loadBalancerIP: String?, message: String) {
        let result = RequestedAllocation.parse(annotations: annotations, loadBalancerIP: loadBalancerIP)
        let description = result.failure?.description ?? ""
        #expect(description.contains(message), "\(description)")
    }

    @Test("a request built from annotations carries them")
    func apply() throws {
        var request = service("web")
        request.apply(
            try RequestedAllocation.parse(
                annotations: ["metallb.io/address-pool": "p", "herald.dev/allow-shared-ip": "k"],
                loadBalancerIP: "10.1.1.1"
            ).get()
        )
        #expect(request.requestedPool == "p")
        #expect(request.sharingKey == "k")
        #expect(request.requestedAddresses == [ip("10.1.1.1")])
    }

    @Test("families come from the ClusterIPs in order, without repeats")
    func families() {
        #expect(
            ServiceRequest.families(ofClusterIPs: [ip("fd00::1"), ip("10.96.0.1"), ip("fd00::2")]) == [.ipv6, .ipv4]
        )
        #expect(ServiceRequest.families(ofClusterIPs: [ip("10.96.0.1")]) == [.ipv4])
    }
}
