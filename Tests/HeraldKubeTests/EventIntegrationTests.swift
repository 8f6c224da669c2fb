import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import Testing

/// Event recording against the real API server, checked with kubectl.
@Suite struct EventIntegrationTests {
    @Test func repeatsAreAggregatedIntoOneEventWithACount() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { client in
            let ns = try await makeNamespace(client, "events")
            let svc = try await client.create(testService("web", namespace: ns))
            let recorder = EventRecorder(client: client, component: "herald", host: "node-a", logger: .test("events"))
            for _ in 0..<3 {
                await recorder.record(
                    ObjectReference(svc), type: .normal, reason: "IPAllocated", message: "Assigned 198.51.100.1")
            }
            await recorder.record(
                ObjectReference(svc), type: .warning, reason: "AllocationFailed", message: "pool exhausted")
            let events = try await client.listAll(Event.self, namespace: ns).items
            #expect(events.count == 2)
            let allocated = events.first { $0.reason == "IPAllocated" }
            #expect(allocated?.count == 3)
            #expect(allocated?.involvedObject.uid == svc.metadata.uid)
            #expect(allocated?.source?.component == "herald")
            let shown = try await cluster.kubectl([
                "get", "events", "-n", ns, "--field-selector", "reason=IPAllocated", "-o", "jsonpath={.items[0].count}",
            ])
            #expect(shown.output == "3")
        }
    }

    @Test func theRateLimitDropsAndCountsExcessEvents() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { client in
            let ns = try await makeNamespace(client, "ratelimit")
            let recorder = EventRecorder(
                client: client, component: "herald", burst: 3, refillPerSecond: 0.001, logger: .test("rl"))
            let ref = ObjectReference(kind: "Service", namespace: ns, name: "x")
            for i in 0..<10 { await recorder.record(ref, type: .normal, reason: "R\(i)", message: "m") }
            #expect(recorder.written == 3)
            #expect(recorder.dropped == 7)
            #expect(try await client.listAll(Event.self, namespace: ns).items.count == 3)
            // Warnings have a bucket of their own: the Normal burst above does not silence them.
            let warning = await recorder.record(ref, type: .warning, reason: "Unreachable", message: "why")
            #expect(warning != nil)
            for i in 0..<5 { await recorder.record(ref, type: .warning, reason: "W\(i)", message: "m") }
            #expect(recorder.written == 6)
            #expect(recorder.dropped == 10)
        }
    }
}
