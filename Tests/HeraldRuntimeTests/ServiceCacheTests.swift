import HeraldAllocation
import HeraldCore
import HeraldIPAM
import HeraldKube
import HeraldKubeModels
import HeraldRuntime
import Testing

/// What the Service cache keeps (``ServiceTranslation/cached(_:)``): everything the allocator, the status and the
/// Events read, so that a cached Service gives the same verdict as the Service the server sent.
@Suite struct ServiceCacheTests {
    static func service(
        annotations: [String: String]? = nil, families: [String]? = nil, clusterIPs: [String]? = nil,
        policy: String? = nil, ports: [Service.Port] = [Service.Port(name: "http", port: 80, targetPort: .int(8080))]
    ) -> Service {
        var meta = ObjectMeta(name: "web", namespace: "shop", labels: ["app": "web"], annotations: annotations)
        meta.uid = "0b3f1c9e-5c1a-4c55-9f3e-2f7d8d8b1a11"
        meta.resourceVersion = "4711"
        meta.creationTimestamp = "2026-11-29T10:00:00Z"
        var spec = Service.Spec(
            type: "LoadBalancer", ports: ports, selector: ["app": "web"], clusterIP: clusterIPs?.first)
        spec.clusterIPs = clusterIPs
        spec.ipFamilies = families
        spec.ipFamilyPolicy = policy
        spec.externalTrafficPolicy = "Local"
        spec.loadBalancerIP = "192.0.2.10"
        return Service(
            metadata: meta, spec: spec,
            status: .init(loadBalancer: .init(ingress: [.init(ip: "192.0.2.10", ipMode: "VIP")])))
    }

    static let variants: [Service] = [
        service(),
        service(families: ["IPv6", "IPv4"], policy: "PreferDualStack"),
        service(clusterIPs: ["fd00::10", "10.96.0.10"]),
        service(clusterIPs: ["10.96.0.10"], policy: "RequireDualStack"),
        service(annotations: [
            "metallb.io/address-pool": "public", "metallb.universe.tf/allow-shared-ip": "k",
            "herald.dev/ip-allocated-from-pool": "public", "example.com/owner": "team-a",
        ]),
        service(annotations: ["herald.dev/loadBalancerIPs": "192.0.2.10,nonsense"]),
        service(policy: "Sometimes"),
        service(ports: [Service.Port(protocol: "UDP", port: 53), Service.Port(protocol: "QUIC", port: 443)]),
    ]

    @Test(arguments: variants) func aCachedServiceGetsTheSameVerdict(_ service: Service) {
        let cached = ServiceTranslation.cached(service)
        for loadBalancerClass in [nil, "other"] as [String?] {
            #expect(
                ServiceTranslation.verdict(
                    for: cached, namespaceLabels: ["team": "a"], loadBalancerClass: loadBalancerClass)
                    == ServiceTranslation.verdict(
                        for: service, namespaceLabels: ["team": "a"], loadBalancerClass: loadBalancerClass))
        }
        #expect(ServiceTranslation.statusAddresses(of: cached) == ServiceTranslation.statusAddresses(of: service))
        #expect(ServiceTranslation.allocatedPool(of: cached) == ServiceTranslation.allocatedPool(of: service))
        #expect(
            ServiceTranslation.trafficPolicy(cached, slices: [])
                == ServiceTranslation.trafficPolicy(service, slices: []))
        #expect(ServiceID(cached) == ServiceID(service))
        #expect(cached.metadata.uid == service.metadata.uid)
        #expect(cached.metadata.resourceVersion == service.metadata.resourceVersion)
        #expect(cached.metadata.creationTimestamp == service.metadata.creationTimestamp)
        #expect(cached.status == service.status)
        #expect(cached.kind == "Service" && cached.apiVersion == "v1")
    }

    @Test func foreignAnnotationsAndUnreadFieldsAreNotKept() {
        let applied = String(repeating: "{\"spec\":{}}", count: 400)
        let service = Self.service(
            annotations: [
                "kubectl.kubernetes.io/last-applied-configuration": applied, "metallb.io/address-pool": "public",
            ],
            families: ["IPv4"], clusterIPs: ["10.96.0.10"])
        let cached = ServiceTranslation.cached(service)
        #expect(cached.metadata.annotations == ["metallb.io/address-pool": "public"])
        #expect(cached.spec?.clusterIPs == nil && cached.spec?.clusterIP == nil)
        #expect(cached.spec?.ipFamilies == ["IPv4"])
        #expect(cached.spec?.ports == [Service.Port(protocol: "TCP", port: 80)])
        #expect(ServiceTranslation.cached(Self.service(annotations: ["a.example/b": "c"])).metadata.annotations == nil)
    }

    @Test func whatATenantWritesIsBoundedInTheCache() throws {
        let long = String(repeating: "k", count: 100_000)
        let a = ServiceTranslation.cached(
            Self.service(annotations: ["metallb.io/allow-shared-ip": long, "metallb.io/anything-else": long]))
        let b = ServiceTranslation.cached(Self.service(annotations: ["metallb.universe.tf/allow-shared-ip": long]))
        let c = ServiceTranslation.cached(Self.service(annotations: ["metallb.io/allow-shared-ip": long + "!"]))
        let keyA = try #require(a.metadata.annotations?["metallb.io/allow-shared-ip"])
        // A long key becomes its digest: equal keys stay equal, different ones different; unknown keys go.
        #expect(keyA.utf8.count == 72 && keyA.hasPrefix("\0sha256:"))
        #expect(a.metadata.annotations?.count == 1)
        #expect(b.metadata.annotations?["metallb.universe.tf/allow-shared-ip"] == keyA)
        #expect(c.metadata.annotations?["metallb.io/allow-shared-ip"] != keyA)
        // A short key is kept as it is, and can never equal a digest.
        let short = ServiceTranslation.cached(Self.service(annotations: ["metallb.io/allow-shared-ip": "web"]))
        #expect(short.metadata.annotations?["metallb.io/allow-shared-ip"] == "web")
        // An address list past the bound is cut to a text that cannot parse, and says why.
        let addresses = (0..<2000).map { "10.0.\($0 / 250).\($0 % 250)" }.joined(separator: ",")
        let cut = ServiceTranslation.cached(Self.service(annotations: ["metallb.io/loadBalancerIPs": addresses]))
        let text = try #require(cut.metadata.annotations?["metallb.io/loadBalancerIPs"])
        #expect(text.utf8.count < 100 && text.hasSuffix("(cut: \(addresses.utf8.count) bytes)"), "\(text)")
        guard
            case .failure(let error) = RequestedAllocation.parse(
                annotations: cut.metadata.annotations ?? [:], loadBalancerIP: nil)
        else {
            Issue.record("a cut address list parsed")
            return
        }
        #expect("\(error)".contains("cut"), "\(error)")
    }

    /// The storage an array's elements are in.
    static func storage(_ ports: [Service.Port]?) -> UnsafeRawPointer? {
        ports?.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) }
    }

    @Test func servicesListingTheSamePortsShareOneList() throws {
        let transform = ServiceCacheTransform()
        let web = transform(Self.service(ports: [Service.Port(name: "https", port: 443, targetPort: .int(8443))]))
        var other = Self.service(ports: [Service.Port(name: "tls", port: 443)])
        other.metadata.name = "api"
        let api = transform(other)
        let dns = transform(Self.service(ports: [Service.Port(protocol: "UDP", port: 53)]))
        // What the cache keeps of a port (protocol and number) is the same for both: one list.
        #expect(web.spec?.ports == [Service.Port(protocol: "TCP", port: 443)])
        #expect(try #require(Self.storage(web.spec?.ports)) == Self.storage(api.spec?.ports))
        #expect(dns.spec?.ports == [Service.Port(protocol: "UDP", port: 53)])
        #expect(Self.storage(dns.spec?.ports) != Self.storage(web.spec?.ports))
        #expect(transform.sharedLists == 2)
        // And the verdict is the uncached Service's.
        #expect(
            ServiceTranslation.verdict(for: api, namespaceLabels: [:], loadBalancerClass: nil)
                == ServiceTranslation.verdict(for: other, namespaceLabels: [:], loadBalancerClass: nil))
    }

    @Test func servicesKeepingTheSameAnnotationsShareThem() throws {
        let transform = ServiceCacheTransform()
        func kept(_ name: String, _ pool: String) -> Service {
            var service = Self.service(
                annotations: ["herald.dev/ip-allocated-from-pool": pool, "example.com/owner": name])
            service.metadata.name = name
            return transform(service)
        }
        let (a, b, c) = (kept("a", "public"), kept("b", "public"), kept("c", "private"))
        #expect(a.metadata.annotations == ["herald.dev/ip-allocated-from-pool": "public"])
        #expect(c.metadata.annotations == ["herald.dev/ip-allocated-from-pool": "private"])
        #expect(transform.sharedAnnotationSets == 2)
        // One dictionary for a and b: a Dictionary is one reference to its storage, and theirs is the same.
        func storage(_ service: Service) -> Int? {
            service.metadata.annotations.map { unsafeBitCast($0, to: Int.self) }
        }
        #expect(storage(a) != nil && storage(a) == storage(b))
        #expect(storage(a) != storage(c))
    }

    @Test func pastItsLimitTheTransformKeepsListsAsTheyAre() throws {
        let transform = ServiceCacheTransform()
        for port in 1...ServiceCacheTransform.limit { _ = transform(Self.service(ports: [Service.Port(port: port)])) }
        #expect(transform.sharedLists == ServiceCacheTransform.limit)
        let late = [Service.Port(port: 60_000)]
        let first = transform(Self.service(ports: late))
        let second = transform(Self.service(ports: late))
        #expect(transform.sharedLists == ServiceCacheTransform.limit)
        #expect(first.spec?.ports == late && second.spec?.ports == late)
        #expect(Self.storage(first.spec?.ports) != Self.storage(second.spec?.ports))
        // The lists kept before the limit are still shared.
        let early = transform(Self.service(ports: [Service.Port(port: 7)]))
        let again = transform(Self.service(ports: [Service.Port(port: 7)]))
        #expect(try #require(Self.storage(early.spec?.ports)) == Self.storage(again.spec?.ports))
    }
}
