import Foundation
import HeraldCore
import HeraldKubeModels
import Logging
import Synchronization

/// Records core/v1 Events the way client-go's recorder does: a repeat of the same event (same object, type, reason
/// and message) increments `count` and `lastTimestamp` on the existing Event with a merge patch instead of creating a
/// new one; token buckets limit the write rate, and events over the limit are dropped and counted.
///
/// The buckets are per namespace (the namespace of the object the Event is about), so that one tenant's churn never
/// uses up the budget of the others, and per type: a burst of routine Normal events (an address moving to this node
/// for each of many Services) never crowds out the Warning that says why something is unreachable. The buckets of
/// `namespaceLimit` namespaces and the last `cacheLimit` distinct events are remembered; past that the least
/// recently used go, a generation at a time (see `GenerationalCache`), never all at once.
public actor EventRecorder {
    /// `Normal` or `Warning`.
    public enum EventType: String, Sendable {
        case normal = "Normal"
        case warning = "Warning"
    }

    struct Aggregate: Sendable {
        var name: String
        var namespace: String
        var count: Int
    }

    /// What makes two events the same (object, type, reason, message), kept as two independent 64-bit hashes: a
    /// recorder remembers thousands of events, and the texts themselves would cost hundreds of bytes each. A false
    /// match needs both hashes to collide (about 1 in 10^30 per pair).
    struct DedupKey: Hashable, Sendable {
        var first: Int
        var second: Int

        init(object: ObjectReference, type: String, reason: String, message: String) {
            func hash(_ salt: Int) -> Int {
                var hasher = Hasher()
                hasher.combine(salt)
                hasher.combine(object)
                hasher.combine(type)
                hasher.combine(reason)
                hasher.combine(message)
                return hasher.finalize()
            }
            first = hash(0)
            second = hash(1)
        }
    }

    let client: KubeClient
    public nonisolated let component: String
    let host: String?
    let clock: any KubeClock
    let logger: Logger
    var budget: EventBudget
    var seen: GenerationalCache<DedupKey, Aggregate>
    let cacheLimit: Int
    /// Events written (created or patched) and dropped by the rate limit; read without waiting for the actor.
    nonisolated let tally = Mutex((written: 0, dropped: 0))
    /// Events dropped by the rate limit.
    public nonisolated var dropped: Int { tally.withLock { $0.dropped } }
    /// Events written (created or patched).
    public nonisolated var written: Int { tally.withLock { $0.written } }

    /// Creates a recorder for `component` (e.g. `herald`) running on `host`; `burst` and `refillPerSecond` are the
    /// budget of each namespace and type.
    public init(
        client: KubeClient, component: String, host: String? = nil, burst: Int = 25, refillPerSecond: Double = 1,
        cacheLimit: Int = 4096, namespaceLimit: Int = 2048, clock: any KubeClock = SystemKubeClock(), logger: Logger
    ) {
        self.client = client
        self.component = component
        self.host = host
        self.clock = clock
        self.logger = logger
        self.budget = EventBudget(burst: burst, refillPerSecond: refillPerSecond, namespaceLimit: namespaceLimit)
        self.seen = GenerationalCache(limit: cacheLimit)
        self.cacheLimit = cacheLimit
    }

    /// Distinct events remembered for aggregation (at most `cacheLimit`).
    public var remembered: Int { seen.count }

    /// Records an event about `object`. Never throws: failures are logged (events are best effort).
    /// Returns the written Event, or nil if it was rate-limited or failed.
    @discardableResult
    public func record(_ object: ObjectReference, type: EventType, reason: String, message: String) async -> Event? {
        let namespace = object.namespace ?? "default"
        guard budget.tryTake(namespace: namespace, warning: type == .warning, now: clock.now()) else {
            tally.withLock { $0.dropped += 1 }
            logger.debug("event dropped by rate limit", metadata: ["reason": "\(reason)", "namespace": "\(namespace)"])
            return nil
        }
        let key = DedupKey(object: object, type: type.rawValue, reason: reason, message: message)
        let now = MicroTime(clock.wallNow()).seconds
        if let aggregate = seen.get(key) {
            struct Patch: Encodable {
                var count: Int
                var lastTimestamp: String
            }
            do {
                let event = try await client.mergePatch(
                    Event.self, name: aggregate.name, namespace: aggregate.namespace,
                    body: Patch(count: aggregate.count + 1, lastTimestamp: now))
                var updated = aggregate
                updated.count = event.count ?? aggregate.count + 1
                seen.set(key, updated)
                tally.withLock { $0.written += 1 }
                return event
            } catch let error as KubeError where error.isNotFound {
                seen.set(key, nil)
            } catch {
                logger.warning("cannot update event", metadata: ["error": "\(error)"])
                return nil
            }
        }
        let suffix = String(UInt64.random(in: 0..<UInt64.max), radix: 16)
        var event = Event(
            metadata: ObjectMeta(name: "\(object.name ?? "herald").\(suffix)", namespace: namespace),
            involvedObject: object,
            reason: reason, message: message, type: type.rawValue)
        event.count = 1
        event.firstTimestamp = now
        event.lastTimestamp = now
        event.source = Event.Source(component: component, host: host)
        event.reportingComponent = component
        event.reportingInstance = host
        do {
            let created = try await client.create(event)
            seen.set(key, Aggregate(name: created.metadata.name ?? "", namespace: namespace, count: 1))
            tally.withLock { $0.written += 1 }
            return created
        } catch {
            logger.warning("cannot create event", metadata: ["error": "\(error)"])
            return nil
        }
    }
}

/// The write budget of an Event recorder: a token bucket per namespace and type (Normal, Warning), so that no
/// namespace can spend another's. Buckets of `namespaceLimit` namespaces and types are kept; a bucket forgotten
/// after others were used starts full again. Pure: the caller passes monotonic time in.
public struct EventBudget: Sendable {
    struct Key: Hashable, Sendable {
        var namespace: String
        var warning: Bool
    }

    public let burst: Int
    public let refillPerSecond: Double
    var buckets: GenerationalCache<Key, TokenBucket>

    public init(burst: Int, refillPerSecond: Double, namespaceLimit: Int = 2048) {
        self.burst = burst
        self.refillPerSecond = refillPerSecond
        buckets = GenerationalCache(limit: namespaceLimit)
    }

    /// Takes one token from the bucket of `namespace` and the type at `now`, if it has one.
    public mutating func tryTake(namespace: String, warning: Bool, now: Duration) -> Bool {
        let key = Key(namespace: namespace, warning: warning)
        var bucket = buckets.get(key) ?? TokenBucket(burst: burst, refillPerSecond: refillPerSecond)
        let taken = bucket.tryTake(now: now)
        buckets.set(key, bucket)
        return taken
    }

    /// How many buckets are kept.
    public var count: Int { buckets.count }
}
