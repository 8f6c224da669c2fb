import Synchronization

/// A de-duplicating work queue with client-go's semantics: a key added many times before a worker takes it is handed
/// out once; a key added while a worker processes it is handed out again only after ``done(_:)``, so one key is never
/// processed by two workers at once. Iterate it with `for await key in queue { ...; queue.done(key) }`.
public final class WorkQueue<Key: Hashable & Sendable>: Sendable, AsyncSequence {
    public typealias Element = Key

    struct State {
        var queue: [Key] = []
        var head = 0
        var dirty: Set<Key> = []
        var processing: Set<Key> = []
        var waiters: [UInt64: CheckedContinuation<Key?, Never>] = [:]
        var waiterOrder: [UInt64] = []
        var nextWaiter: UInt64 = 0
        var shutDown = false
        var adds = 0

        /// Hands the next key to the longest-waiting waiter, if both exist.
        mutating func matchWaiter() -> (CheckedContinuation<Key?, Never>, Key)? {
            while let id = waiterOrder.first {
                guard let c = waiters.removeValue(forKey: id) else {
                    waiterOrder.removeFirst()
                    continue
                }
                guard let key = pop() else {
                    waiters[id] = c
                    return nil
                }
                waiterOrder.removeFirst()
                return (c, key)
            }
            return nil
        }

        mutating func pop() -> Key? {
            guard head < queue.count else { return nil }
            let key = queue[head]
            head += 1
            if head > 1024, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            dirty.remove(key)
            processing.insert(key)
            return key
        }
    }

    let state = Mutex(State())

    /// Creates an empty queue.
    public init() {}

    /// Queues a key unless it is already waiting.
    public func add(_ key: Key) {
        let match: (CheckedContinuation<Key?, Never>, Key)? = state.withLock { s in
            guard !s.shutDown, !s.dirty.contains(key) else { return nil }
            s.adds += 1
            s.dirty.insert(key)
            if s.processing.contains(key) { return nil }
            s.queue.append(key)
            return s.matchWaiter()
        }
        if let (c, k) = match { c.resume(returning: k) }
    }

    /// Marks a key as processed; if it was added meanwhile, it is queued again.
    public func done(_ key: Key) {
        let match: (CheckedContinuation<Key?, Never>, Key)? = state.withLock { s in
            s.processing.remove(key)
            guard s.dirty.contains(key) else { return nil }
            s.queue.append(key)
            return s.matchWaiter()
        }
        if let (c, k) = match { c.resume(returning: k) }
    }

    /// The next key, waiting for one; nil after ``shutdown()`` or when the calling task is cancelled.
    public func next() async -> Key? {
        if let ready: Key? = state.withLock({ s in s.shutDown ? .some(nil) : s.pop().map { .some($0) } ?? nil }) {
            return ready
        }
        let id = state.withLock { s in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Key?, Never>) in
                let immediate: Key?? = state.withLock { s in
                    if s.shutDown || Task.isCancelled { return .some(nil) }
                    if let k = s.pop() { return .some(k) }
                    s.waiters[id] = c
                    s.waiterOrder.append(id)
                    return nil
                }
                if let immediate { c.resume(returning: immediate) }
            }
        } onCancel: {
            let c = state.withLock { $0.waiters.removeValue(forKey: id) }
            c?.resume(returning: nil)
        }
    }

    /// The next key, waiting for one, followed by up to `limit - 1` more that are already queued, so that a worker
    /// can handle a burst at once; empty after ``shutdown()`` or on cancellation. Each key needs ``done(_:)``.
    public func nextBatch(limit: Int) async -> [Key] {
        guard let first = await next() else { return [] }
        var batch = [first]
        state.withLock { s in
            while batch.count < limit, !s.shutDown, let key = s.pop() { batch.append(key) }
        }
        return batch
    }

    /// Stops the queue: waiting and future ``next()`` calls return nil.
    public func shutdown() {
        let waiters = state.withLock { s in
            s.shutDown = true
            let w = Array(s.waiters.values)
            s.waiters = [:]
            s.waiterOrder = []
            return w
        }
        for c in waiters { c.resume(returning: nil) }
    }

    /// Keys waiting to be handed out.
    public var count: Int { state.withLock { $0.queue.count - $0.head } }

    /// How many adds were not de-duplicated away (for metrics and tests).
    public var acceptedAdds: Int { state.withLock { $0.adds } }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: WorkQueue
        public mutating func next() async -> Key? { await queue.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: self) }
}
