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
    /// Calls `fire` once, `duration` from now, unless the returned timer is cancelled first.
    func timer(after duration: Duration, _ fire: @escaping @Sendable () -> Void) -> KubeTimer
}

extension KubeClock {
    /// A task that sleeps on this clock, then fires: what a test's clock needs. (A cancelled task sleep keeps its
    /// task until the time it was to wake, which the system clock's own timer does not.)
    public func timer(after duration: Duration, _ fire: @escaping @Sendable () -> Void) -> KubeTimer {
        let task = Task {
            do { try await sleep(for: duration) } catch { return }
            fire()
        }
        return KubeTimer { task.cancel() }
    }
}

/// A pending call of ``KubeClock/timer(after:_:)``.
public struct KubeTimer: Sendable {
    let stop: @Sendable () -> Void

    /// Makes a timer that `stop` cancels.
    public init(stop: @escaping @Sendable () -> Void) { self.stop = stop }

    /// Stops the call if it has not been made; calling it again does nothing.
    public func cancel() { stop() }
}

/// The process's clocks: `ContinuousClock` and `Date()`.
public struct SystemKubeClock: KubeClock {
    let origin = ContinuousClock.now

    /// Creates a system clock.
    public init() {}

    public func now() -> Duration { ContinuousClock.now - origin }
    public func wallNow() -> Date { Date() }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }

    /// A dispatch timer, which a cancel removes at once. A cancelled `Task.sleep` instead stays queued, task and all
    /// (about 1.6 KiB), until the time it was to wake: a time limit per status write, of the lease's remaining
    /// seconds, then kept thousands of them through a burst of Services.
    public func timer(after duration: Duration, _ fire: @escaping @Sendable () -> Void) -> KubeTimer {
        let (seconds, attoseconds) = duration.components
        let whole = max(seconds, 0).multipliedReportingOverflow(by: 1_000_000_000)
        let source = DispatchSource.makeTimerSource(queue: .global())
        source.setEventHandler(handler: fire)
        if whole.overflow {
            source.schedule(deadline: .distantFuture)
        } else {
            let nanoseconds = Int(clamping: whole.partialValue + max(attoseconds, 0) / 1_000_000_000)
            source.schedule(deadline: .now() + .nanoseconds(nanoseconds), leeway: .milliseconds(1))
        }
        source.activate()
        let handle = TimerSource(source)
        return KubeTimer { handle.source.cancel() }
    }
}

/// A dispatch source handed to a `@Sendable` cancel: cancelling one is safe from any thread.
private final class TimerSource: @unchecked Sendable {
    let source: any DispatchSourceTimer
    init(_ source: any DispatchSourceTimer) { self.source = source }
}
