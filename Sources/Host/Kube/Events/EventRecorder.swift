import Foundation
import HeraldCore
import Logging

/// Records core/v1 Events the way client-go's recorder does: a repeat of the same event (same object, type, reason
/// and message) increments `count` and `lastTimestamp` on the existing Event with a merge patch instead of creating a
/// new one; a token bucket limits the write rate, and events over the limit are dropped and counted. Warnings have a
/// bucket of their own, so that a burst of routine Normal events (an address moving to this node for each of many
/// Services) never crowds out the Warning that says why something is unreachable.
public actor EventRecorder {
    /// `Normal` or `Warning`.
    public enum EventType: String, Sendable {
        case normal = "Normal"
        case warning = "Warning"
    }

    struct Aggregate {
        var name: String
        var namespace: String
        var count: Int
    }

    /// What makes two events the same (object, type, reason, message), kept as two independent 64-bit hashes: a
    /// recorder remembers thousands of events, and the texts themselves would cost hundreds of bytes each. A false
    /// match needs both hashes to collide (about 1 in 10^30 per pair).
    struct DedupKey: Hashable {
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
    let component: String
    let host: String?
    let clock: any KubeClock
    let logger: Logger
    var bucket: TokenBucket
    var warningBucket: TokenBucket
    var seen: [DedupKey: Aggregate] = [:]
    let cacheLimit: Int
    /// Events dropped by the rate limit.
    public private(set) var dropped = 0
    /// Events written (created or patched).
    public private(set) var written = 0

    /// Creates a recorder for `component` (e.g. `herald`) running on `host`.
    public init(
        client: KubeClient, component: String, host: String? = nil, burst: Int = 25, refillPerSecond: Double = 1,
        cacheLimit: Int = 4096, clock: any KubeClock = SystemKubeClock(), logger: Logger
    ) {
        self.client = client
        self.component = component
        self.host = host
        self.clock = clock
        self.logger = logger
        self.bucket = TokenBucket(burst: burst, refillPerSecond: refillPerSecond)
        self.warningBucket = TokenBucket(burst: burst, refillPerSecond: refillPerSecond)
        self.cacheLimit = cacheLimit
    }

    /// Records an event about `object`. Never throws: failures are logged (events are best effort).
    /// Returns the written Event, or nil if it was rate-limited or failed.
    @discardableResult
    public func record(_ object: ObjectReference, type: EventType, reason: String, message: String) async -> Event? {
        let allowed =
            type == .warning ? warningBucket.tryTake(now: clock.now()) : bucket.tryTake(now: clock.now())
        guard allowed else {
            dropped += 1
            logger.debug("event dropped by rate limit", metadata: ["reason": "\(reason)"])
            return nil
        }
        let namespace = object.namespace ?? "default"
        let key = DedupKey(object: object, type: type.rawValue, reason: reason, message: message)
        let now = MicroTime(clock.wallNow()).seconds
        if let aggregate = seen[key] {
            struct Patch: Encodable {
                var count: Int
                var lastTimestamp: String
            }
            do {
                let event = try await client.mergePatch(
                    Event.self, name: aggregate.name, namespace: aggregate.namespace,
                    body: Patch(count: aggregate.count + 1, lastTimestamp: now))
                seen[key]?.count = event.count ?? aggregate.count + 1
                written += 1
                return event
            } catch let error as KubeError where error.isNotFound {
                seen[key] = nil
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
            if seen.count >= cacheLimit { seen.removeAll() }
            seen[key] = Aggregate(name: created.metadata.name ?? "", namespace: namespace, count: 1)
            written += 1
            return created
        } catch {
            logger.warning("cannot create event", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
