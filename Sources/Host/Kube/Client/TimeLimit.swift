import Synchronization

/// Runs `operation` in a task of its own and waits for it at most `limit` on `clock`. Past the limit it throws a
/// `.timeout` ``KubeError`` naming `what` at once, and cancels the operation without waiting for it: a request to a
/// stalled server, which may take long to notice the cancellation, cannot hold the caller past its bound. A cancelled
/// caller gets a `CancellationError` at once, likewise.
public func withTimeLimit<T: Sendable>(
    _ limit: Duration, clock: any KubeClock = SystemKubeClock(), _ what: @autoclosure () -> String,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    guard limit > .zero else { throw KubeError(.timeout, "\(what()): no time left") }
    let slot = ResultSlot<T>()
    let description = what()
    let work = Task {
        do { slot.resume(.success(try await operation())) } catch { slot.resume(.failure(error)) }
    }
    let timer = clock.timer(after: limit) {
        slot.resume(.failure(KubeError(.timeout, "\(description): no answer within \(limit)")))
    }
    defer {
        work.cancel()
        timer.cancel()
    }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { slot.set($0) }
    } onCancel: {
        slot.resume(.failure(CancellationError()))
    }
}

/// A continuation resumed once, by whichever result comes first; a result that comes before the continuation is
/// kept for it.
final class ResultSlot<T: Sendable>: Sendable {
    struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var result: Result<T, any Error>?
        var resumed = false
    }

    let state = Mutex(State())

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { s -> Result<T, any Error>? in
            if let result = s.result {
                s.resumed = true
                return result
            }
            s.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func resume(_ result: Result<T, any Error>) {
        let waiting = state.withLock { s -> CheckedContinuation<T, any Error>? in
            guard !s.resumed, s.result == nil else { return nil }
            if let c = s.continuation {
                s.continuation = nil
                s.resumed = true
                return c
            }
            s.result = result
            return nil
        }
        waiting?.resume(with: result)
    }
}
