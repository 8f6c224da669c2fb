import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import Synchronization
import Testing

/// Tests that kill the API server or rely on etcd compaction, on their own instance (watch cache off, compaction
/// every second), one at a time.
@Suite(.serialized) struct DisruptionTests {
    @Test func storeEqualsServerAcrossAPIServerKillAndRestart() async throws {
        let cluster = try await DevCluster.disruptive()
        try await withClient(try cluster.adminClient()) { client in
            let ns = try await makeNamespace(client, "restart")
            let informer = Informer<Service>(
                client: client,
                options: .init(
                    namespace: ns, watchTimeoutSeconds: 60,
                    backoff: Backoff(initial: .milliseconds(100), maximum: .seconds(1))),
                logger: .test("restart"))
            try await whileRunning({ await informer.run() }) {
                try await informer.waitUntilSynced(timeout: .seconds(60))
                for i in 0..<60 { _ = try await client.create(testService("before-\(i)", namespace: ns)) }
                #expect(await eventually { informer.store.count == 60 })
                try await cluster.script("kill-apiserver")
                // While the server is down the reflector keeps failing and backing off, without crashing.
                #expect(await eventually(timeout: .seconds(5)) { informer.statistics.failures >= 1 })
                try await cluster.script("start-apiserver")
                for i in 0..<60 { _ = try await client.create(testService("after-\(i)", namespace: ns)) }
                for i in stride(from: 0, to: 60, by: 2) {
                    try await client.delete(Service.self, name: "before-\(i)", namespace: ns)
                }
                for i in stride(from: 1, to: 60, by: 2) {
                    _ = try await client.patch(
                        Service.self, name: "before-\(i)", namespace: ns,
                        body: Array(#"{"metadata":{"labels":{"x":"y"}}}"#.utf8))
                }
                let server = try await serverState(client, Service.self, namespace: ns)
                #expect(server.count == 90)
                #expect(await eventually { storeState(informer.store) == server })
                let stats = informer.statistics
                #expect(stats.watches >= 2, "the watch was re-opened after the restart: \(stats)")
            }
        }
    }

    @Test func storeEqualsServerWhenTheServerIsKilledDuringAStreamOfWrites() async throws {
        let cluster = try await DevCluster.disruptive()
        try await withClient(try cluster.adminClient()) { client in
            let ns = try await makeNamespace(client, "midstream")
            let informer = Informer<Service>(
                client: client,
                options: .init(
                    namespace: ns, watchTimeoutSeconds: 60,
                    backoff: Backoff(initial: .milliseconds(100), maximum: .seconds(1))),
                logger: .test("midstream"))
            let counts = Mutex((ok: 0, failed: 0))
            // A writer that never stops for errors: creates, label updates and deletes, across the outage.
            let writer = Task {
                var i = 0
                while !Task.isCancelled {
                    i += 1
                    do {
                        switch i % 4 {
                        case 0, 1: _ = try await client.create(testService("w-\(i)", namespace: ns))
                        case 2:
                            _ = try await client.patch(
                                Service.self, name: "w-\(i - 1)", namespace: ns,
                                body: Array(#"{"metadata":{"labels":{"n":"\#(i)"}}}"#.utf8))
                        default: try await client.delete(Service.self, name: "w-\(i - 3)", namespace: ns)
                        }
                        counts.withLock { $0.ok += 1 }
                    } catch {
                        counts.withLock { $0.failed += 1 }
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                }
            }
            try await whileRunning({ await informer.run() }) {
                try await informer.waitUntilSynced(timeout: .seconds(60))
                #expect(await eventually { counts.withLock { $0.ok } >= 100 })
                try await cluster.script("kill-apiserver")
                try await cluster.script("start-apiserver")
                let okAfterRestart = counts.withLock { $0.ok }
                #expect(await eventually { counts.withLock { $0.ok } >= okAfterRestart + 100 })
                writer.cancel()
                await writer.value
                let server = try await serverState(client, Service.self, namespace: ns)
                #expect(server.count > 0)
                #expect(await eventually { storeState(informer.store) == server })
                let writes = counts.withLock { $0 }
                #expect(writes.failed >= 1, "the outage happened during the writes: \(writes)")
                #expect(informer.statistics.failures >= 1)
            }
        }
    }

    @Test func leaderStepsDownAndMembershipTurnsInvalidWhileTheServerIsDown() async throws {
        let cluster = try await DevCluster.disruptive()
        try await withClient(try cluster.adminClient()) { client in
            let ns = try await makeNamespace(client, "outage")
            let elector = LeaderElector(
                client: client,
                configuration: .init(
                    leaseName: "outage", namespace: ns, identity: "a", leaseDuration: .seconds(3),
                    renewDeadline: .seconds(2), retryPeriod: .milliseconds(250)),
                logger: .test("outage-elector"))
            let member = NodeMembership(
                client: client, configuration: .init(nodeName: "n1", namespace: ns), logger: .test("outage-member"))
            let electorTask = Task { await elector.run() }
            let memberTask = Task { await member.run() }
            #expect(await eventually { elector.isLeader && member.holdsValidLease })
            try await cluster.script("kill-apiserver")
            let down = ContinuousClock.now
            // Without renewals the leader must stop leading before its lease could be taken over (3 s), and the
            // node must know its membership lease is no longer valid (so that it withdraws its announcements).
            #expect(await eventually(timeout: .seconds(5)) { !elector.isLeader })
            #expect(ContinuousClock.now - down < .seconds(3))
            #expect(await eventually(timeout: .seconds(5)) { !member.holdsValidLease })
            #expect(ContinuousClock.now - down <= .seconds(3.5))
            try await cluster.script("start-apiserver")
            #expect(await eventually { elector.isLeader && member.holdsValidLease })
            electorTask.cancel()
            memberTask.cancel()
            await electorTask.value
            await memberTask.value
            let leases = try await client.listAll(Lease.self, namespace: ns).items
            #expect(leases.map(\.metadata.name) == ["outage"], "membership lease deleted on stop")
            #expect(leases.first?.spec?.holderIdentity == "", "leader lease released on stop")
        }
    }

    @Test func expiredResourceVersionsForceRelistAndStoreStillMatches() async throws {
        let cluster = try await DevCluster.disruptive()
        try await withClient(try cluster.adminClient()) { client in
            let watched = try await makeNamespace(client, "gone")
            let other = try await makeNamespace(client, "noise")
            let informer = Informer<Service>(
                client: client,
                options: .init(
                    namespace: watched, watchTimeoutSeconds: 2,
                    backoff: Backoff(initial: .milliseconds(100), maximum: .seconds(1))),
                logger: .test("gone"))
            try await whileRunning({ await informer.run() }) {
                try await informer.waitUntilSynced(timeout: .seconds(60))
                _ = try await client.create(testService("first", namespace: watched))
                #expect(await eventually { informer.store.count == 1 })
                // Writes elsewhere move etcd's revision on; the compactor (1 s) removes the revision our watch
                // resumes from, so the next re-watch answers 410 Expired and the reflector must re-list.
                var rounds = 0
                while informer.statistics.expired == 0 && rounds < 20 {
                    for i in 0..<20 { _ = try await client.create(testService("n\(rounds)-\(i)", namespace: other)) }
                    try await Task.sleep(for: .seconds(1))
                    rounds += 1
                }
                let expired = informer.statistics.expired
                #expect(expired >= 1, "no 410 after \(rounds) rounds: \(informer.statistics)")
                #expect(informer.statistics.lists >= 2)
                for i in 0..<30 { _ = try await client.create(testService("s\(i)", namespace: watched)) }
                try await client.delete(Service.self, name: "first", namespace: watched)
                let server = try await serverState(client, Service.self, namespace: watched)
                #expect(server.count == 30)
                #expect(await eventually { storeState(informer.store) == server })
            }
        }
    }
}
