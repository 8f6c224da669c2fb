import Synchronization

/// The one change-stream utility of the host: fans values out to any number of `AsyncStream` subscribers (unbounded buffers unless a subscriber asks for
/// another policy). With `replayLatest`, a new subscriber first receives the latest value, read under the same lock
/// that publishes, so no change is missed.
public final class Broadcast<Element: Sendable>: Sendable {
    struct State {
        var subscribers: [Int: AsyncStream<Element>.Continuation] = [:]
        var next = 0
        var latest: Element?
        var finished = false
    }

    let replayLatest: Bool
    let state: Mutex<State>

    public init(initial: Element? = nil, replayLatest: Bool = false) {
        self.replayLatest = replayLatest
        self.state = Mutex(State(latest: initial))
    }

    /// A new stream of every value from now on (preceded by the latest one when replaying).
    public func subscribe(
        bufferingPolicy: AsyncStream<Element>.Continuation.BufferingPolicy = .unbounded
    ) -> AsyncStream<Element> {
        let (stream, continuation) = AsyncStream.makeStream(of: Element.self, bufferingPolicy: bufferingPolicy)
        let id: Int? = state.withLock { s in
            if replayLatest, let latest = s.latest { continuation.yield(latest) }
            guard !s.finished else { return nil }
            s.next += 1
            s.subscribers[s.next] = continuation
            return s.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Publishes a value to every subscriber.
    public func yield(_ value: Element) {
        let subscribers = state.withLock { s in
            s.latest = value
            return Array(s.subscribers.values)
        }
        for s in subscribers { s.yield(value) }
    }

    /// Ends every stream; later subscribers get an empty (or latest-only) stream.
    public func finish() {
        let subscribers = state.withLock { s in
            s.finished = true
            let all = Array(s.subscribers.values)
            s.subscribers = [:]
            return all
        }
        for s in subscribers { s.finish() }
    }
}

extension AsyncStream where Element == Void {
    /// One stream of wakes from several (of any element type): a value of any input wakes once, and wakes coalesce
    /// (a consumer busy with one sees at most one more). Ends when every input has ended; stops reading them when
    /// the consumer goes away.
    public static func merging(_ streams: [any AsyncSequence & Sendable]) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                for input in streams {
                    group.addTask { await wake(continuation, on: input) }
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// ``merging(_:)`` of a list written out.
    public static func merging(_ streams: any AsyncSequence & Sendable...) -> AsyncStream<Void> { merging(streams) }

    private static func wake<S: AsyncSequence>(_ continuation: Continuation, on input: S) async {
        do {
            for try await _ in input { continuation.yield() }
        } catch {}
    }
}
