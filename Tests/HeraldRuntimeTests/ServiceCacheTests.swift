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
}
