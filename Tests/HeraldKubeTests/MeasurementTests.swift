import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import HeraldTestSupport
import Synchronization
import Testing

/// Measurements printed for the record; they assert correctness only, never timing.
@Suite(.serialized) struct MeasurementTests {
    @Test func measureInformerLatency() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { client in
            let ns = try await makeNamespace(client, "latency")
            let informer = Informer<Service>(client: client, options: .init(namespace: ns), logger: .test("latency"))
            let sent = Mutex<[String: ContinuousClock.Instant]>([:])
            let latencies = Mutex<[Duration]>([])
            let events = informer.events()
            let consumer = Task {
                for await event in events {
                    guard case .added(let s) = event, let name = s.metadata.name else { continue }
                    let now = ContinuousClock.now
                    if let t0 = sent.withLock({ $0[name] }) { latencies.withLock { $0.append(now - t0) } }
                }
            }
            try await whileRunning({ await informer.run() }) {
                try await informer.waitUntilSynced(timeout: .seconds(60))
                for i in 0..<1000 {
                    let name = "lat-\(i)"
                    sent.withLock { $0[name] = ContinuousClock.now }
                    _ = try await client.create(testService(name, namespace: ns))
                }
                #expect(await eventually { latencies.withLock { $0.count } == 1000 })
            }
            consumer.cancel()
            let sorted = latencies.withLock { $0 }.sorted()
            #expect(sorted.count == 1000)
            guard sorted.count == 1000 else { return }
            func ms(_ d: Duration) -> String {
                String(format: "%.2f ms", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000)
            }
            print(
                "MEASURE create->informer callback over 1000 Services: p50 \(ms(sorted[499])), p99 \(ms(sorted[989])), max \(ms(sorted[999]))"
            )
        }
    }

    @Test func measureListAndWatchOfTenThousandServices() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { client in
            let ns = try await makeNamespace(client, "tenk")
            let createStart = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<16 {
                    group.addTask {
                        for i in stride(from: worker, to: 10_000, by: 16) {
                            _ = try await client.create(testService("s-\(i)", namespace: ns, labels: ["i": "\(i)"]))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let createTime = ContinuousClock.now - createStart
            let rssBefore = residentKiB()
            let informer = Informer<Service>(client: client, options: .init(namespace: ns), logger: .test("tenk"))
            let start = ContinuousClock.now
            try await whileRunning({ await informer.run() }) {
                try await informer.waitUntilSynced(timeout: .seconds(60))
                let synced = ContinuousClock.now - start
                #expect(informer.store.count == 10_000)
                _ = try await client.patch(
                    Service.self, name: "s-42", namespace: ns, body: Array(#"{"metadata":{"labels":{"w":"1"}}}"#.utf8))
                #expect(
                    await eventually {
                        informer.store.get(ObjectKey(namespace: ns, name: "s-42"))?.metadata.labels?["w"] == "1"
                    })
                let watching = ContinuousClock.now - start
                let rssAfter = residentKiB()
                print(
                    "MEASURE 10k Services: created in \(createTime) (16 writers); paged list (500/page) into the store: \(synced); "
                        + "first watch event applied after \(watching); test-process RSS \(rssBefore / 1024) MiB -> \(rssAfter / 1024) MiB "
                        + "(+\((rssAfter - rssBefore) / 1024) MiB)")

                // The peer, in the same run: kubectl (client-go) lists the same 10k Services in pages of 500. Its
                // figures are for the whole process (start-up, discovery, printing the names).
                let peer = try await TestSupport.runDetached(
                    [
                        "/usr/bin/time", "-f", "peer %e s %M KiB", "/usr/bin/kubectl", "--kubeconfig",
                        cluster.adminKubeconfig, "get", "services", "-n", ns, "-o", "name", "--chunk-size=500",
                    ], combineOutput: true)
                let lines = peer.stdout.split(separator: "\n")
                #expect(peer.status == 0, "\(lines.suffix(5))")
                #expect(lines.filter { $0.hasPrefix("service/s-") }.count == 10_000)
                let figures = lines.last(where: { $0.hasPrefix("peer ") })?.split(separator: " ") ?? []
                if figures.count == 5, let seconds = Double(figures[1]), let kib = Double(figures[3]) {
                    let herald = Double(synced.components.seconds) + Double(synced.components.attoseconds) / 1e18
                    print(
                        String(
                            format:
                                "MEASURE 10k Services, peer kubectl get -o name --chunk-size=500: %.2f s, max RSS %.0f MiB; "
                                + "Herald's list into the store %.2f s, RSS +%d MiB; time ratio Herald/kubectl %.2f",
                            seconds, kib / 1024, herald, (rssAfter - rssBefore) / 1024, herald / seconds))
                } else {
                    Issue.record("no figures from /usr/bin/time: \(lines.suffix(3))")
                }
            }
        }
    }
}
