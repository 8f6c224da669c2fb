import Foundation
import HeraldCore
import HeraldKubeModels
import Logging
import Synchronization
import Testing

@testable import HeraldKube

/// The Event recorder's limits, without an API server: per-namespace budgets and a bounded aggregation cache.
@Suite struct EventBudgetTests {
    /// A clock the test moves by hand.
    final class ManualClock: KubeClock {
        let time = Mutex<Duration>(.zero)
        func now() -> Duration { time.withLock { $0 } }
        func wallNow() -> Date { Date(timeIntervalSince1970: 1_700_000_000) }
        func sleep(for duration: Duration) async throws { time.withLock { $0 += duration } }
        func advance(_ duration: Duration) { time.withLock { $0 += duration } }
    }

    @Test func eachNamespaceHasItsOwnBudget() {
        var budget = EventBudget(burst: 3, refillPerSecond: 1)
        let t0 = Duration.zero
        // Tenant "noisy" spends its burst and is refused.
        var taken = 0
        for _ in 0..<10 where budget.tryTake(namespace: "noisy", warning: false, now: t0) { taken += 1 }
        #expect(taken == 3)
        // The other namespaces still have theirs, Normal and Warning alike; noisy's Warnings too.
        var quiet = 0
        for _ in 0..<3 where budget.tryTake(namespace: "quiet", warning: false, now: t0) { quiet += 1 }
        #expect(quiet == 3)
        let quietWarning = budget.tryTake(namespace: "quiet", warning: true, now: t0)
        #expect(quietWarning)
        let noisyWarning = budget.tryTake(namespace: "noisy", warning: true, now: t0)
        #expect(noisyWarning)
        // noisy refills at its rate.
        let early = budget.tryTake(namespace: "noisy", warning: false, now: .milliseconds(500))
        #expect(!early)
        let later = budget.tryTake(namespace: "noisy", warning: false, now: .milliseconds(1600))
        #expect(later)
    }

    @Test func theBudgetsOfManyNamespacesAreBounded() {
        var budget = EventBudget(burst: 1, refillPerSecond: 1, namespaceLimit: 64)
        for i in 0..<10_000 { _ = budget.tryTake(namespace: "ns-\(i)", warning: false, now: .zero) }
        #expect(budget.count <= 64)
        // A namespace that keeps recording keeps its (spent) bucket: many others passing through do not refill it.
        var hot = 0
        for i in 0..<1000 {
            if budget.tryTake(namespace: "hot", warning: false, now: .zero) { hot += 1 }
            _ = budget.tryTake(namespace: "other-\(i)", warning: false, now: .zero)
        }
        #expect(hot == 1)
    }

    /// The recorder itself, with its injectable clock and a server that refuses connections: what the budget
    /// refuses is counted as dropped before any request; what it allows is attempted (and fails here).
    @Test func theRecorderDropsPerNamespace() async throws {
        let client = try KubeClient(
            configuration: KubeClientConfiguration(server: "http://127.0.0.1:1"),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            requestTimeout: .seconds(2))
        let clock = ManualClock()
        let recorder = EventRecorder(
            client: client, component: "herald", burst: 2, refillPerSecond: 0.5, clock: clock,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        func record(_ namespace: String, _ i: Int) async {
            await recorder.record(
                ObjectReference(kind: "Service", namespace: namespace, name: "s\(i)"), type: .normal, reason: "R",
                message: "m")
        }
        for i in 0..<20 { await record("noisy", i) }
        #expect(recorder.dropped == 18)
        for i in 0..<2 { await record("quiet", i) }
        #expect(recorder.dropped == 18)
        await record("quiet", 3)
        #expect(recorder.dropped == 19)
        clock.advance(.seconds(2))
        await record("quiet", 4)
        #expect(recorder.dropped == 19)
        try await client.shutdown()
    }
}
