import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import Testing

/// Informers against the shared real kube-apiserver.
@Suite struct InformerIntegrationTests {
    @Test func storeEqualsServerAfterThousandRandomOperations() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { client in
            let ns = try await makeNamespace(client, "inf")
            let informer = Informer<Service>(
                client: client, options: .init(namespace: ns, pageSize: 50, watchTimeoutSeconds: 5),
                indexers: ["app": { [$0.metadata.labels?["app"] ?? ""] }], logger: .test("informer"))
            let seen = try await whileRunning({ await informer.run() }) {
                try await informer.waitUntilSynced(timeout: .seconds(60))
                var live: [String] = []
                var next = 0
                var rng = SystemRandomNumberGenerator()
                for _ in 0..<1000 {
                    let roll = Int.random(in: 0..<10, using: &rng)
                    if live.isEmpty || roll < 4 {
                        next += 1
                        let name = "svc-\(next)"
                        _ = try await client.create(testService(name, namespace: ns, labels: ["app": "a\(next % 3)"]))
                        live.append(name)
                    } else if roll < 8 {
                        let name = live.randomElement(using: &rng)!
                        let body = #"{"metadata":{"labels":{"app":"a\#(Int.random(in: 0..<3))","gen":"\#(roll)"}}}"#
                        _ = try await client.patch(Service.self, name: name, namespace: ns, body: Array(body.utf8))
                    } else {
                        let i = Int.random(in: 0..<live.count, using: &rng)
                        try await client.delete(Service.self, name: live.remove(at: i), namespace: ns)
                    }
                }
                let server = try await serverState(client, Service.self, namespace: ns)
                let converged = await eventually { storeState(informer.store) == server }
                #expect(converged, "store \(informer.store.count) objects, server \(server.count)")
                #expect(server.count == live.count)
                // The index agrees with the objects.
                for app in ["a0", "a1", "a2"] {
                    let indexed = Set(informer.store.byIndex("app", app).map(\.key))
                    let scanned = Set(informer.store.list().filter { $0.metadata.labels?["app"] == app }.map(\.key))
                    #expect(indexed == scanned)
                }
                return informer.statistics
            }
            #expect(seen.lists >= 1)
            #expect(seen.expired == 0)
        }
    }

    @Test func workQueueHandsOutChangedKeys() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { client in
            let ns = try await makeNamespace(client, "wq")
            let informer = Informer<Service>(client: client, options: .init(namespace: ns), logger: .test("wq"))
            try await whileRunning({ await informer.run() }) {
                try await informer.waitUntilSynced(timeout: .seconds(60))
                _ = try await client.create(testService("one", namespace: ns))
                _ = try await client.create(testService("two", namespace: ns))
                var got: Set<String> = []
                for await key in informer.queue {
                    got.insert(key.description)
                    informer.queue.done(key)
                    if got.count == 2 { break }
                }
                #expect(got == ["\(ns)/one", "\(ns)/two"])
            }
        }
    }

    @Test func aNormalWatchTimeoutReWatchesWithoutReListingAndBookmarksAdvanceTheVersion() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { client in
            let ns = try await makeNamespace(client, "rewatch")
            let other = try await makeNamespace(client, "rewatch-other")
            let informer = Informer<Service>(
                client: client, options: .init(namespace: ns, watchTimeoutSeconds: 3), logger: .test("rewatch"))
            try await whileRunning({ await informer.run() }) {
                try await informer.waitUntilSynced(timeout: .seconds(60))
                let listed = Int(informer.statistics.resourceVersion ?? "") ?? 0
                // Services change elsewhere: the server sends bookmarks before each watch timeout.
                var i = 0
                let done = await eventually(timeout: .seconds(15)) {
                    i += 1
                    _ = try? await client.create(testService("o\(i)", namespace: other))
                    try? await Task.sleep(for: .milliseconds(200))
                    let s = informer.statistics
                    return s.normalWatchEnds >= 2 && s.bookmarks >= 1
                }
                #expect(done, "\(informer.statistics)")
                #expect((Int(informer.statistics.resourceVersion ?? "") ?? 0) > listed)
                #expect(informer.store.count == 0)
                _ = try await client.create(testService("late", namespace: ns))
                #expect(await eventually { informer.store.count == 1 })
                let stats = informer.statistics
                #expect(stats.lists == 1, "\(stats)")
                #expect(stats.expired == 0)
                #expect(stats.failures == 0)
            }
        }
    }
}
