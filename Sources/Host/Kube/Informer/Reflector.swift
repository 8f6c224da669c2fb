import HeraldKubeModels
import Logging
import Synchronization

/// Keeps an ``ObjectStore`` equal to the server's state: a paged list replaces the store, then a watch from the
/// list's resourceVersion (with bookmarks and `timeoutSeconds`) applies changes. A normal close re-watches from the
/// last resourceVersion without re-listing; `410 Expired` re-lists; other failures back off with jitter and retry.
public final class Reflector<Object: KubeResource>: Sendable {
    /// What to watch and how.
    public struct Options: Sendable {
        public var namespace: String?
        public var labelSelector: String?
        public var fieldSelector: String?
        public var pageSize: Int
        /// Server-side watch timeout; the watch is then re-opened from the last resourceVersion.
        public var watchTimeoutSeconds: Int
        public var backoff: Backoff
        /// What the store keeps of each object, applied to everything listed or watched before it is stored or
        /// passed on (client-go's `SetTransform`): a cache of thousands of objects need not keep the fields, or the
        /// annotations, that nothing reads. Must be pure and keep the metadata that identifies the object.
        public var transform: (@Sendable (Object) -> Object)?

        /// Creates options.
        public init(
            namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil, pageSize: Int = 500,
            watchTimeoutSeconds: Int = 300, backoff: Backoff = Backoff(),
            transform: (@Sendable (Object) -> Object)? = nil
        ) {
            self.namespace = namespace
            self.labelSelector = labelSelector
            self.fieldSelector = fieldSelector
            self.pageSize = pageSize
            self.watchTimeoutSeconds = watchTimeoutSeconds
            self.backoff = backoff
            self.transform = transform
        }
    }

    /// Counters of what the reflector did.
    public struct Statistics: Sendable, Equatable {
        /// Completed lists (1 at start, +1 per re-list).
        public var lists = 0
        /// Watches opened.
        public var watches = 0
        /// Watches that ended normally (server timeout) and were re-opened without a re-list.
        public var normalWatchEnds = 0
        /// `410 Expired` answers that forced a re-list.
        public var expired = 0
        /// Failed lists or watches (each followed by a backoff).
        public var failures = 0
        /// Bookmarks received.
        public var bookmarks = 0
        /// The resourceVersion the next watch starts from.
        public var resourceVersion: String?
        /// The last failure, for diagnostics.
        public var lastError: String?
    }

    let client: KubeClient
    /// The store this reflector maintains.
    public let store: ObjectStore<Object>
    let options: Options
    let logger: Logger
    let onEvent: @Sendable (InformerEvent<Object>) -> Void
    let onSynced: @Sendable () -> Void
    let stats = Mutex(Statistics())

    /// Creates a reflector; `onEvent` runs after the store is updated, `onSynced` after each complete list.
    public init(
        client: KubeClient, store: ObjectStore<Object>, options: Options = Options(), logger: Logger,
        onEvent: @escaping @Sendable (InformerEvent<Object>) -> Void = { _ in },
        onSynced: @escaping @Sendable () -> Void = {}
    ) {
        self.client = client
        self.store = store
        self.options = options
        self.logger = logger
        self.onEvent = onEvent
        self.onSynced = onSynced
    }

    /// A snapshot of the counters.
    public var statistics: Statistics { stats.withLock { $0 } }

    private enum WatchEnd: Error { case expired }

    /// Runs until the task is cancelled.
    public func run() async {
        var backoff = options.backoff
        var logger = self.logger
        logger[metadataKey: "resource"] = "\(Object.plural)"
        relist: while !Task.isCancelled {
            var resourceVersion: String
            do {
                var (items, rv) = try await client.listAll(
                    Object.self, namespace: options.namespace, labelSelector: options.labelSelector,
                    fieldSelector: options.fieldSelector, pageSize: options.pageSize)
                if let transform = options.transform {
                    for index in items.indices { items[index] = transform(items[index]) }
                }
                for event in store.replace(with: items) { onEvent(event) }
                resourceVersion = rv
                stats.withLock {
                    $0.lists += 1
                    $0.resourceVersion = rv
                }
                logger.debug("listed", metadata: ["count": "\(items.count)", "resourceVersion": "\(rv)"])
                onSynced()
                backoff.reset()
            } catch {
                guard await fail(error, "list", &backoff, logger) else { return }
                continue relist
            }
            while !Task.isCancelled {
                do {
                    stats.withLock { $0.watches += 1 }
                    let stream = client.watch(
                        Object.self, namespace: options.namespace, resourceVersion: resourceVersion,
                        timeoutSeconds: options.watchTimeoutSeconds, labelSelector: options.labelSelector,
                        fieldSelector: options.fieldSelector)
                    for try await event in stream {
                        try apply(event, &resourceVersion)
                        backoff.reset()
                    }
                    stats.withLock { $0.normalWatchEnds += 1 }
                } catch WatchEnd.expired {
                    stats.withLock { $0.expired += 1 }
                    logger.info(
                        "watch resourceVersion expired; re-listing", metadata: ["resourceVersion": "\(resourceVersion)"]
                    )
                    continue relist
                } catch let error as KubeError where error.isExpired {
                    stats.withLock { $0.expired += 1 }
                    continue relist
                } catch {
                    guard await fail(error, "watch", &backoff, logger) else { return }
                }
            }
        }
    }

    private func apply(_ event: WatchEvent<Object>, _ resourceVersion: inout String) throws {
        switch event {
        case .added(let o), .modified(let o):
            let o = options.transform?(o) ?? o
            if let old = store.upsert(o) { onEvent(.updated(old: old, new: o)) } else { onEvent(.added(o)) }
        case .deleted(let o):
            onEvent(.deleted(store.remove(ObjectKey(o.metadata)) ?? options.transform?(o) ?? o))
        case .bookmark:
            stats.withLock { $0.bookmarks += 1 }
        case .error(let status):
            if status.code == 410 || status.reason == "Expired" || status.reason == "Gone" { throw WatchEnd.expired }
            throw KubeError(.watch, status.message ?? "watch error", statusCode: status.code, reason: status.reason)
        }
        if let rv = event.resourceVersion, !rv.isEmpty {
            resourceVersion = rv
            stats.withLock { $0.resourceVersion = rv }
        }
    }

    /// Records a failure and sleeps the backoff; false if cancelled.
    private func fail(_ error: any Error, _ what: String, _ backoff: inout Backoff, _ logger: Logger) async -> Bool {
        if error is CancellationError || Task.isCancelled { return false }
        let delay = backoff.next()
        stats.withLock {
            $0.failures += 1
            $0.lastError = "\(error)"
        }
        logger.warning("\(what) failed; retrying", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
        do { try await Task.sleep(for: delay) } catch { return false }
        return true
    }
}
