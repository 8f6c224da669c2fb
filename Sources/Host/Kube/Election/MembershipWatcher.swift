import Logging
import Synchronization

/// Watches the membership leases of every node and yields the live node set whenever it changes: on lease events
/// and when a lease expires without renewal (re-evaluated on a timer, on our own clock).
public final class MembershipWatcher: Sendable {
    struct State {
        var view = MembershipView()
        var live: Set<String> = []
        var subscribers: [Int: AsyncStream<Set<String>>.Continuation] = [:]
        var next = 0
    }

    let informer: Informer<Lease>
    let clock: any KubeClock
    let tick: Duration
    let state = Mutex(State())

    /// Creates a watcher of the leases labelled ``NodeMembership/label`` in `namespace`.
    public init(
        client: KubeClient, namespace: String = "herald-system", clock: any KubeClock = SystemKubeClock(),
        tick: Duration = .milliseconds(100), logger: Logger
    ) {
        self.informer = Informer(
            client: client, options: .init(namespace: namespace, labelSelector: NodeMembership.label, watchTimeoutSeconds: 60),
            logger: logger)
        self.clock = clock
        self.tick = tick
    }

    /// The live nodes now.
    public var liveNodes: Set<String> { state.withLock { $0.live } }

    /// The current live set (first element) and every change after it.
    public func changes() -> AsyncStream<Set<String>> {
        let (stream, continuation) = AsyncStream.makeStream(of: Set<String>.self)
        let id = state.withLock { s in
            s.next += 1
            s.subscribers[s.next] = continuation
            continuation.yield(s.live)
            return s.next
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) } }
        return stream
    }

    /// Runs until cancelled.
    public func run() async {
        let events = informer.events()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.informer.run() }
            group.addTask {
                for await event in events {
                    let now = self.clock.now()
                    let wall = self.clock.wallNow()
                    self.state.withLock { s in
                        switch event {
                        case .added(let l), .updated(_, let l): s.view.observe(l, now: now, wall: wall)
                        case .deleted(let l): s.view.remove(leaseName: l.metadata.name ?? "")
                        }
                    }
                    self.publish()
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do { try await self.clock.sleep(for: self.tick) } catch { return }
                    self.publish()
                }
            }
            await group.next()
            group.cancelAll()
        }
        let subscribers = state.withLock { s in
            let all = Array(s.subscribers.values)
            s.subscribers = [:]
            return all
        }
        for s in subscribers { s.finish() }
    }

    private func publish() {
        let now = clock.now()
        let (changed, live, subscribers) = state.withLock { s in
            let live = s.view.live(now: now)
            guard live != s.live else { return (false, live, [AsyncStream<Set<String>>.Continuation]()) }
            s.live = live
            return (true, live, Array(s.subscribers.values))
        }
        guard changed else { return }
        for s in subscribers { s.yield(live) }
    }
}
