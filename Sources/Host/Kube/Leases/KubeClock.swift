import Foundation
import HeraldKubeModels

/// The clock leader election, membership and event rate limits run on. Injected so the logic can be tested.
public protocol KubeClock: Sendable {
    /// Monotonic time since an arbitrary origin; the only time used to decide takeovers and liveness.
    func now() -> Duration
    /// Wall-clock time, written into Lease and Event timestamps.
    func wallNow() -> Date
    /// Sleeps; throws `CancellationError` when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// The process's clocks: `ContinuousClock` and `Date()`.
public struct SystemKubeClock: KubeClock {
    let origin = ContinuousClock.now

    /// Creates a system clock.
    public init() {}

    public func now() -> Duration { ContinuousClock.now - origin }
    public func wallNow() -> Date { Date() }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}
