import HeraldAllocation
import HeraldConfigModel
import HeraldCore
import HeraldKube
import HeraldKubeModels
import HeraldPlanner
import HeraldTestSupport
import Logging
import Synchronization
import Testing

@testable import HeraldRuntime

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

    static let pools = [
        Pool(name: "a", ranges: [try! IPRange.parse("192.0.2.0/28").get()]),
        Pool(name: "b", ranges: [try! IPRange.parse("198.51.100.0/28").get()]),
    ]

    static func service(_ name: String, status: [String], pool: String? = nil) -> Service {
        var meta = ObjectMeta(name: name, namespace: "ns")
        meta.annotations = pool.map { ["metallb.io/address-pool": $0] }
        return Service(
            metadata: meta, spec: .init(type: "LoadBalancer"),
            status: .init(loadBalancer: .init(ingress: status.map { .init(ip: $0) })))
    }

    static func screen(_ service: Service) -> KubernetesSource.Screened {
        KubernetesSource.screen(service, in: HeraldConfiguration(pools: pools))
    }

    /// Anyone who may patch `services/status` (every node's service account) could otherwise make every speaker
    /// announce any address: only the addresses the pools allow are planned.
    @Test func aStatusAddressOutsideEveryPoolIsNotAnnounced() throws {
        let screened = Self.screen(Self.service("web", status: ["192.0.2.1", "203.0.113.7"]))
        let address = try #require(screened.address)
        #expect(address.addresses.map(\.description) == ["192.0.2.1"])
        #expect(address.pool == "a")
        #expect(screened.refused.map(\.address.description) == ["203.0.113.7"])
        #expect(screened.refused.first?.reason == "it is in no address pool")
        // An outside address first does not take the entry with it, nor decide its pool.
        let first = Self.screen(Self.service("web", status: ["203.0.113.7", "198.51.100.2"]))
        #expect(first.address?.addresses.map(\.description) == ["198.51.100.2"])
        #expect(first.address?.pool == "b")
        // Nothing in a pool: no entry at all.
        let none = Self.screen(Self.service("web", status: ["203.0.113.7", "10.0.0.1"]))
        #expect(none.address == nil)
        #expect(none.refused.count == 2)
    }

    @Test func aStatusAddressOutsideTheNamedPoolIsNotAnnounced() throws {
        let screened = Self.screen(Self.service("web", status: ["192.0.2.1", "198.51.100.1"], pool: "b"))
        #expect(screened.address?.addresses.map(\.description) == ["198.51.100.1"])
        #expect(screened.address?.pool == "b")
        #expect(
            screened.refused.map(\.reason) == [
                "it is in pool \"a\", but the Service's address-pool annotation names \"b\""
            ])
        // A pool that does not exist allows nothing.
        #expect(Self.screen(Self.service("web", status: ["192.0.2.1"], pool: "gone")).address == nil)
        // Without the annotation, the first address's pool is the entry's: an address of another pool would be
        // announced through advertisements that do not cover it.
        let mixed = Self.screen(Self.service("web", status: ["192.0.2.1", "198.51.100.1"]))
        #expect(mixed.address?.addresses.map(\.description) == ["192.0.2.1"])
        #expect(mixed.refused.map(\.address.description) == ["198.51.100.1"])
    }

    /// Collects the messages logged through it.
    struct Capture: LogHandler {
        let sink: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { sink.lines.withLock { $0.append("\(event.level): \(event.message)") } }
    }

    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var logger: Logger { Logger(label: "test") { _ in Capture(sink: self) } }
    }

    @Test func aRefusedAddressIsSaidOncePerAppearance() {
        let lines = Lines()
        let log = KubernetesSource.RefusalLog(logger: lines.logger, perPass: 2)
        let web = Self.screen(Self.service("web", status: ["203.0.113.7"])).refused
        let api = Self.screen(Self.service("api", status: ["203.0.113.8"])).refused
        #expect(log.note(web).count == 1)
        #expect(log.note(web).isEmpty)
        #expect(log.note(web + api).map(\.address.description) == ["203.0.113.8"])
        #expect(log.note(web + api).isEmpty)
        #expect(lines.lines.withLock { $0.count } == 2)
        #expect(
            lines.lines.withLock { $0.first }
                == "warning: speaker: not announcing 203.0.113.7 of the status of ns/web: it is in no address pool "
                + "(a status Herald did not write)")
        // Gone, then back: said again.
        #expect(log.note(api).isEmpty)
        #expect(log.note(web + api).count == 1)
        // Many new ones at once: a few by name, then a count.
        let many = (1...5).flatMap { Self.screen(Self.service("s\($0)", status: ["10.0.0.\($0)"])).refused }
        let before = lines.lines.withLock { $0.count }
        #expect(log.note(many).count == 5)
        let said = lines.lines.withLock { Array($0.dropFirst(before)) }
        #expect(said.count == 3)
        #expect(said.last == "warning: speaker: not announcing 3 more status addresses outside the pools")
    }

    /// The speaker keeps each Service's screening with it in the cache: a pass reads the kept results, yet follows
    /// every new version of a Service and every change of the pools, and still says a refused address only once.
    @Test func keptScreeningsFollowTheServicesAndThePools() async throws {
        let client = try KubeClient(
            configuration: KubeClientConfiguration(server: "http://127.0.0.1:1"), logger: Logger(label: "test"))
        let services = Informer<Service>(client: client, logger: Logger(label: "test"))
        let slices = Informer<EndpointSlice>(
            client: client, indexers: [KubernetesSource.slicesByService.0: KubernetesSource.slicesByService.1],
            logger: Logger(label: "test"))
        let config = ConfigStore(HeraldConfiguration(pools: Self.pools))
        let lines = Lines()
        let source = KubernetesSource(services: services, slices: slices, config: config, logger: lines.logger)
        func versioned(_ service: Service, _ version: String) -> Service {
            var service = service
            service.metadata.resourceVersion = version
            return service
        }
        services.store.upsert(versioned(Self.service("web", status: ["192.0.2.1"]), "1"))
        services.store.upsert(versioned(Self.service("api", status: ["198.51.100.1"]), "2"))
        services.store.upsert(versioned(Self.service("odd", status: ["203.0.113.7"]), "3"))
        var digests: Set<Int> = []
        func pass() -> [String] {
            let digested = source.digestedAddresses()
            // The digest summed from the kept screenings is the one of the entries hashed anew.
            #expect(digested.digest == DigestedAddresses.digest(of: digested.addresses))
            digests.insert(digested.digest)
            return digested.addresses.map {
                "\($0.service.name)=\($0.addresses.map(\.description).joined(separator: ","))"
            }
            .sorted()
        }
        #expect(pass() == ["api=198.51.100.1", "web=192.0.2.1"])
        #expect(pass() == ["api=198.51.100.1", "web=192.0.2.1"])
        // A new version of a Service is screened anew.
        services.store.upsert(versioned(Self.service("web", status: ["192.0.2.5", "198.51.100.2"]), "4"))
        #expect(pass() == ["api=198.51.100.1", "web=192.0.2.5"])
        // The pools change: every Service is screened again under them.
        config.apply(HeraldConfiguration(pools: [Self.pools[0]]))
        #expect(pass() == ["web=192.0.2.5"])
        config.apply(HeraldConfiguration(pools: Self.pools))
        #expect(pass() == ["api=198.51.100.1", "web=192.0.2.5"])
        // Three sets of addresses, three digests.
        #expect(digests.count == 3)
        // A `Local` Service's ready nodes are read on every pass, and its digest follows them.
        var local = versioned(Self.service("local", status: ["192.0.2.9"]), "5")
        local.spec?.externalTrafficPolicy = "Local"
        services.store.upsert(local)
        let noNodes = pass()
        slices.store.upsert(Self.slice("local-1", namespace: "ns", service: "local", nodes: [("n1", true)]))
        #expect(pass() == noNodes)
        let withNode = source.digestedAddresses()
        #expect(withNode.addresses.first { $0.service.name == "local" }?.trafficPolicy == .local(readyNodes: ["n1"]))
        #expect(digests.count == 5 && digests.contains(withNode.digest))
        // The refusal of `odd` was said once, though the kept screening was read on every pass after; `web`'s second
        // address once per reason (another pool than its first address's, then no pool, then the other pool again);
        // `api`'s once, when its pool was gone.
        let said = lines.lines.withLock { $0 }
        #expect(said.filter { $0.contains("203.0.113.7") }.count == 1, "\(said)")
        #expect(said.filter { $0.contains("198.51.100.2") }.count == 3, "\(said)")
        #expect(said.filter { $0.contains("198.51.100.1") }.count == 1, "\(said)")
        try await client.shutdown()
    }
}
