import HeraldCore
import HeraldKubeModels
import Logging
import Synchronization

/// Watches the membership leases of every node and yields the live node set whenever it changes: on lease events
/// and when a lease expires without renewal (re-evaluated on a timer, on our own clock), once a read of the lease
/// confirms that it was not renewed (see ``MembershipView``).
public final class MembershipWatcher: Sendable {
    struct State {
        var view = MembershipView()
        var live: Set<String> = []
        var unhealthy: [String: Set<String>] = [:]
    }

    let informer: Informer<Lease>
    let client: KubeClient
    let namespace: String
    let clock: any KubeClock
    let tick: Duration
    let state = Mutex(State())
    let broadcast = Broadcast<Set<String>>(initial: [], replayLatest: true)

    /// Creates a watcher of the leases labelled ``NodeMembership/label`` in `namespace`.
    public init(
        client: KubeClient, namespace: String = "herald-system", clock: any KubeClock = SystemKubeClock(),
        tick: Duration = .milliseconds(100), logger: Logger
    ) {
        self.informer = Informer(
            client: client,
            options: .init(namespace: namespace, labelSelector: NodeMembership.label, watchTimeoutSeconds: 60),
            logger: logger)
        self.client = client
        self.namespace = namespace
        self.clock = clock
        self.tick = tick
    }

    /// The live nodes now.
    public var liveNodes: Set<String> { state.withLock { $0.live } }

    /// The plugin instances each node reports unhealthy, from the leases.
    public var unhealthyInstances: [String: Set<String>] { state.withLock { $0.unhealthy } }

    /// The input versions each node's lease publishes (see ``InputVersions``).
    public var appliedVersions: [String: InputVersions] { state.withLock { $0.view.applied } }

    /// The current live set (first element) and every change after it.
    public func changes() -> AsyncStream<Set<String>> { broadcast.subscribe() }

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
                // Re-evaluated at the instant the next live lease expires (so a dead node is noticed at once), and
                // at least every `tick`.
                while !Task.isCancelled {
                    let now = self.clock.now()
                    let expiry = self.state.withLock { $0.view.nextExpiry(after: now) }
                    let wait = expiry.map { min($0 - now + .milliseconds(1), self.tick) } ?? self.tick
                    do { try await self.clock.sleep(for: wait) } catch { return }
                    await self.confirmExpiries()
                    self.publish()
                }
            }
            await group.next()
            group.cancelAll()
        }
        broadcast.finish()
    }

    /// Reads every lease past its window (a consistent read from the API server, not the watch's cache) and takes
    /// the answers in; a lease that cannot be read stays suspect, and is read again at the next tick.
    func confirmExpiries() async {
        let suspects = state.withLock { $0.view.suspects(now: clock.now()) }
        for name in suspects {
            let current: Lease?
            do {
                current = try await client.get(Lease.self, name: name, namespace: namespace)
            } catch let error as KubeError where error.isNotFound {
                current = nil
            } catch {
                continue
            }
            let now = clock.now()
            let wall = clock.wallNow()
            state.withLock { $0.view.confirm(leaseName: name, current: current, now: now, wall: wall) }
        }
    }

    private func publish() {
        let now = clock.now()
        // Publish under the state lock so that concurrent publishers cannot reorder two changes.
        state.withLock { s in
            let live = s.view.live(now: now)
            let unhealthy = s.view.unhealthyInstances
            guard live != s.live || unhealthy != s.unhealthy else { return }
            s.live = live
            s.unhealthy = unhealthy
            broadcast.yield(live)
        }
    }
}
