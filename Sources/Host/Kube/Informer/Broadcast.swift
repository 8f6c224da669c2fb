import Synchronization

/// Fans values out to any number of `AsyncStream` subscribers (unbounded buffers unless a subscriber asks for
/// another policy). With `replayLatest`, a new subscriber first receives the latest value, read under the same lock
/// that publishes, so no change is missed.
final class Broadcast<Element: Sendable>: Sendable {
    struct State {
        var subscribers: [Int: AsyncStream<Element>.Continuation] = [:]
        var next = 0
        var latest: Element?
        var finished = false
    }

    let replayLatest: Bool
    let state: Mutex<State>

    init(initial: Element? = nil, replayLatest: Bool) {
        self.replayLatest = replayLatest
        self.state = Mutex(State(latest: initial))
    }

    /// A new stream of every value from now on (preceded by the latest one when replaying).
    func subscribe(
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
    func yield(_ value: Element) {
        let subscribers = state.withLock { s in
            s.latest = value
            return Array(s.subscribers.values)
        }
        for s in subscribers { s.yield(value) }
    }

    /// Ends every stream; later subscribers get an empty (or latest-only) stream.
    func finish() {
        let subscribers = state.withLock { s in
            s.finished = true
            let all = Array(s.subscribers.values)
            s.subscribers = [:]
            return all
        }
        for s in subscribers { s.finish() }
    }
}
