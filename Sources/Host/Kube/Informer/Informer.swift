import Logging
import Synchronization

/// A reflector, its store, and the ways to consume changes: a de-duplicating ``WorkQueue`` of keys for reconcilers
/// (which then read the store), per-subscriber `AsyncStream`s of ``InformerEvent``s, and a synced flag.
public final class Informer<Object: KubeResource>: Sendable {
    /// The cache of the watched objects.
    public let store: ObjectStore<Object>
    /// Keys of changed objects, de-duplicated, for reconcilers.
    public let queue = WorkQueue<ObjectKey>()
    let reflector: Reflector<Object>
    let shared: Shared

    final class Shared: Sendable {
        struct State {
            var synced = false
            var subscribers: [Int: AsyncStream<InformerEvent<Object>>.Continuation] = [:]
            var next = 0
        }
        let state = Mutex(State())
    }

    /// Creates an informer; run it with ``run()``.
    public init(
        client: KubeClient, options: Reflector<Object>.Options = .init(),
        indexers: [String: ObjectStore<Object>.IndexFunction] = [:], logger: Logger
    ) {
        let store = ObjectStore<Object>(indexers: indexers)
        let shared = Shared()
        let queue = self.queue
        self.store = store
        self.shared = shared
        self.reflector = Reflector(
            client: client, store: store, options: options, logger: logger,
            onEvent: { event in
                queue.add(event.key)
                let subscribers = shared.state.withLock { Array($0.subscribers.values) }
                for s in subscribers { s.yield(event) }
            },
            onSynced: { shared.state.withLock { $0.synced = true } })
    }

    /// Runs the reflector until the task is cancelled, then shuts the queue and event streams down.
    public func run() async {
        await reflector.run()
        queue.shutdown()
        let subscribers = shared.state.withLock { s in
            let all = Array(s.subscribers.values)
            s.subscribers = [:]
            return all
        }
        for s in subscribers { s.finish() }
    }

    /// A new stream of every change from now on (after the store is updated). Unbounded buffer.
    public func events() -> AsyncStream<InformerEvent<Object>> {
        let (stream, continuation) = AsyncStream.makeStream(of: InformerEvent<Object>.self)
        let id = shared.state.withLock { s in
            s.next += 1
            s.subscribers[s.next] = continuation
            return s.next
        }
        let shared = self.shared
        continuation.onTermination = { _ in _ = shared.state.withLock { $0.subscribers.removeValue(forKey: id) } }
        return stream
    }

    /// Whether the first list has completed.
    public var hasSynced: Bool { shared.state.withLock { $0.synced } }

    /// Waits until the first list has completed; throws `CancellationError` if cancelled.
    public func waitUntilSynced() async throws {
        while !hasSynced { try await Task.sleep(for: .milliseconds(10)) }
    }

    /// The reflector's counters.
    public var statistics: Reflector<Object>.Statistics { reflector.statistics }
}
