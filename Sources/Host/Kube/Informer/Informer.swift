import HeraldCore
import HeraldKubeModels
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
    let synced = SyncedFlag()

    /// Set once the first list has completed.
    final class SyncedFlag: Sendable {
        let value = Mutex(false)
    }
    let broadcast = Broadcast<InformerEvent<Object>>(replayLatest: false)
    let changed = Broadcast<Void>(replayLatest: false)

    /// Creates an informer; run it with ``run()``.
    public init(
        client: KubeClient, options: Reflector<Object>.Options = .init(),
        indexers: [String: ObjectStore<Object>.IndexFunction] = [:], logger: Logger
    ) {
        let store = ObjectStore<Object>(indexers: indexers)
        let queue = self.queue
        let broadcast = self.broadcast
        let changed = self.changed
        let synced = self.synced
        self.store = store
        self.reflector = Reflector(
            client: client, store: store, options: options, logger: logger,
            onEvent: { event in
                queue.add(event.key)
                broadcast.yield(event)
                changed.yield(())
            },
            onSynced: { synced.value.withLock { $0 = true } })
    }

    /// Runs the reflector until the task is cancelled, then shuts the queue and event streams down.
    public func run() async {
        await reflector.run()
        queue.shutdown()
        broadcast.finish()
        changed.finish()
    }

    /// A new stream of every change from now on (after the store is updated). Unbounded buffer.
    public func events() -> AsyncStream<InformerEvent<Object>> { broadcast.subscribe() }

    /// A new stream that says "something changed" (after the store is updated), for consumers that read the store
    /// anyway: changes coalesce, and no object is held for a slow reader (``events()`` holds every one).
    public func changes() -> AsyncStream<Void> { changed.subscribe(bufferingPolicy: .bufferingNewest(1)) }

    /// Whether the first list has completed.
    public var hasSynced: Bool { synced.value.withLock { $0 } }

    /// Waits until the first list has completed; throws `CancellationError` if cancelled, and a `.timeout`
    /// ``KubeError`` carrying the reflector's last failure when `timeout` passes first.
    public func waitUntilSynced(timeout: Duration? = nil) async throws {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while !hasSynced {
            if let deadline, ContinuousClock.now >= deadline {
                let stats = statistics
                throw KubeError(
                    .timeout,
                    "the \(Object.plural) cache did not sync within \(timeout!): \(stats.failures) failed attempts"
                        + (stats.lastError.map { ", the last: \($0)" } ?? ""))
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The reflector's counters.
    public var statistics: Reflector<Object>.Statistics { reflector.statistics }
}
