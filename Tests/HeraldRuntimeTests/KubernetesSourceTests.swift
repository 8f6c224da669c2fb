import HeraldCore
import HeraldKube
import HeraldPlanner
import HeraldRuntime
import Testing

/// How the Kubernetes source finds a `Local` Service's endpoints: through an index of slices by Service, which must
/// give the same ready nodes as a scan of every slice.
@Suite struct KubernetesSourceTests {
    static func slice(
        _ name: String, namespace: String, service: String?, nodes: [(String, Bool)]
    ) -> EndpointSlice {
        EndpointSlice(
            metadata: ObjectMeta(
                name: name, namespace: namespace,
                labels: service.map { [EndpointSlice.serviceNameLabel: $0] }),
            endpoints: nodes.map { node, ready in
                EndpointSlice.Endpoint(addresses: ["10.0.0.1"], conditions: .init(ready: ready), nodeName: node)
            })
    }

    @Test func slicesAreIndexedByTheirService() {
        let (name, index) = KubernetesSource.slicesByService
        let store = ObjectStore<EndpointSlice>(indexers: [name: index])
        let slices = [
            Self.slice("web-1", namespace: "a", service: "web", nodes: [("n1", true), ("n2", false)]),
            Self.slice("web-2", namespace: "a", service: "web", nodes: [("n3", true)]),
            Self.slice("web-x", namespace: "b", service: "web", nodes: [("n4", true)]),
            Self.slice("orphan", namespace: "a", service: nil, nodes: [("n5", true)]),
        ]
        _ = store.replace(with: slices)
        let indexed = ServiceTranslation.readyNodes(in: store.byIndex(name, "a/web"))
        #expect(indexed == .local(readyNodes: ["n1", "n3"]))
        var service = Service(metadata: ObjectMeta(name: "web", namespace: "a"))
        service.spec = .init(type: "LoadBalancer")
        service.spec?.externalTrafficPolicy = "Local"
        #expect(ServiceTranslation.trafficPolicy(service, slices: slices) == indexed)
        #expect(store.byIndex(name, "b/web").count == 1)
        #expect(index(slices[3]).isEmpty)
    }
}
