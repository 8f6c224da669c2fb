import Foundation
import HeraldCore
import HeraldKubeModels
import Logging
import Synchronization

/// Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics: poll every `retryPeriod`; take
/// over a lease only after observing it unchanged for `leaseDuration` on our own clock; write with PUT and the read
/// resourceVersion, so a 409 means another candidate won; a leader that cannot renew for `renewDeadline` steps down;
/// a graceful stop (task cancellation) releases the lease so a follower takes over at once.
///
/// Leadership lasts `renewDeadline` from the start of the last successful attempt (followers wait `leaseDuration`
/// from when they see that renewal, which is later). Each attempt is bounded by the time left, so a renewal hanging on
/// a stalled API server cannot keep a leader in office: ``isLeader`` is false from the deadline on, while the request
/// may still hang, and the step-down is announced at the deadline.
public final class LeaderElector: Sendable {
    /// Election timing and identity.
    public struct Configuration: Sendable {
        public var leaseName: String
        public var namespace: String
        public var identity: String
        public var leaseDuration: Duration
        public var renewDeadline: Duration
        public var retryPeriod: Duration
        /// Release the lease when the task running ``run()`` is cancelled (a graceful stop).
        public var releaseOnCancel: Bool

        /// Creates a configuration (client-go's defaults: 15 s, 10 s, 2 s).
        public init(
            leaseName: String, namespace: String, identity: String, leaseDuration: Duration = .seconds(15),
            renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2), releaseOnCancel: Bool = true
        ) {
            self.leaseName = leaseName
            self.namespace = namespace
            self.identity = identity
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
            self.releaseOnCancel = releaseOnCancel
        }
    }

    struct State {
        var election: LeaderElectionState
        var leader = false
        /// When the last successful attempt started: leadership lasts `renewDeadline` from then.
        var lastRenew: Duration?

        func leads(at now: Duration, deadline: Duration) -> Bool {
            leader && lastRenew.map { now - $0 < deadline } ?? false
        }
    }

    let client: KubeClient
    public let configuration: Configuration
    let clock: any KubeClock
    let logger: Logger
    let state: Mutex<State>
    let changes = Broadcast<Bool>(initial: false, replayLatest: true)

    /// Creates an elector.
    public init(
        client: KubeClient, configuration: Configuration, clock: any KubeClock = SystemKubeClock(), logger: Logger
    ) {
        self.client = client
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.state = Mutex(
            State(
                election: LeaderElectionState(
                    identity: configuration.identity, leaseDuration: configuration.leaseDuration)))
    }

    /// Whether this candidate leads: it acquired or renewed the lease less than `renewDeadline` ago. False from the
    /// deadline on, even while a renewal is still in flight.
    public var isLeader: Bool {
        let now = clock.now()
        return state.withLock { $0.leads(at: now, deadline: configuration.renewDeadline) }
    }

    /// The time left until the renew deadline while leading; nil when not leading. A write made for the leader is
    /// bounded by it, so that none is in flight after the leader steps down.
    public var leadershipLeft: Duration? {
        let now = clock.now()
        return state.withLock { s in
            guard s.leads(at: now, deadline: configuration.renewDeadline), let last = s.lastRenew else { return nil }
            return configuration.renewDeadline - (now - last)
        }
    }

    /// The current leadership (first element) and every change after it.
    public func leadership() -> AsyncStream<Bool> { changes.subscribe() }

    /// Campaigns and renews until the task is cancelled; then releases the lease if configured and leading.
    public func run() async {
        let c = configuration
        while !Task.isCancelled {
            let started = clock.now()
            // A leader's attempt may take what is left of its term; a candidate's, one renew deadline.
            let limit = leadershipLeft ?? c.renewDeadline
            let ok: Bool
            do {
                ok = try await withTimeLimit(limit, clock: clock, "lease \(c.leaseName) renewal") {
                    await self.tryAcquireOrRenew()
                }
            } catch is CancellationError {
                break
            } catch {
                logger.debug("lease attempt abandoned", metadata: ["error": "\(error)"])
                ok = false
            }
            // A term that ran out during the attempt ends even if the attempt succeeded: a renewal then starts anew.
            stepDownIfExpired()
            if ok && clock.now() - started < c.renewDeadline {
                state.withLock { $0.lastRenew = started }
                setLeader(true)
            }
            // While leading, wake up at the deadline at the latest, to announce the step-down when it passes.
            let pause = leadershipLeft.map { min($0, c.retryPeriod) } ?? c.retryPeriod
            do { try await clock.sleep(for: pause) } catch { break }
            stepDownIfExpired()
        }
        if isLeader && c.releaseOnCancel {
            // The run task is cancelled by now; release from a fresh task so the request is not cancelled too.
            await Task { await self.release() }.value
        }
        setLeader(false)
        changes.finish()
    }

    /// Announces the end of leadership once the renew deadline has passed without a successful renewal.
    private func stepDownIfExpired() {
        let now = clock.now()
        let expired = state.withLock { s in s.leader && !s.leads(at: now, deadline: configuration.renewDeadline) }
        guard expired else { return }
        logger.warning("could not renew the lease within the renew deadline; stepping down")
        setLeader(false)
    }

    private func setLeader(_ leader: Bool) {
        let changed = state.withLock { s in
            guard s.leader != leader else { return false }
            s.leader = leader
            return true
        }
        guard changed else { return }
        logger.info(leader ? "became leader" : "stopped leading", metadata: ["lease": "\(configuration.leaseName)"])
        changes.yield(leader)
    }

    /// One round: read, decide, write. True when we hold the lease afterwards.
    func tryAcquireOrRenew() async -> Bool {
        let c = configuration
        var current: Lease?
        do {
            current = try await client.get(Lease.self, name: c.leaseName, namespace: c.namespace)
        } catch let error as KubeError where error.isNotFound {
            current = nil
        } catch {
            logger.debug("cannot read lease", metadata: ["error": "\(error)"])
            return false
        }
        // An attempt abandoned at its deadline writes nothing.
        if Task.isCancelled { return false }
        let now = clock.now()
        let wall = clock.wallNow()
        let (action, record) = state.withLock { s in
            let action = s.election.decide(current: current?.spec, now: now)
            return (action, s.election.record(for: action, current: current?.spec, wall: wall))
        }
        do {
            let written: Lease
            switch action {
            case .follow(let holder):
                if isLeader { logger.info("lease is held by \(holder)") }
                setLeader(false)
                return false
            case .create:
                written = try await client.create(
                    Lease(metadata: ObjectMeta(name: c.leaseName, namespace: c.namespace), spec: record))
            case .renew, .takeOver:
                guard var lease = current else { return false }
                lease.spec = record
                written = try await client.replace(lease)
            }
            let after = clock.now()
            state.withLock { s in
                s.election.wrote(written.spec ?? record, now: after)
            }
            return true
        } catch let error as KubeError where error.isConflict || error.isAlreadyExists {
            logger.debug("lost the race for the lease", metadata: ["error": "\(error)"])
            setLeader(false)
            return false
        } catch {
            logger.debug("cannot write lease", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Gives the lease up: empty holder, so followers take over without waiting. The lease is read first, so that a
    /// renewal cancelled mid-flight (which may still have reached the server) cannot make the release conflict; it is
    /// released only while we still hold it.
    private func release() async {
        let c = configuration
        let client = self.client
        for _ in 0..<3 {
            do {
                var lease = try await withTimeLimit(c.renewDeadline, clock: clock, "lease \(c.leaseName) release") {
                    try await client.get(Lease.self, name: c.leaseName, namespace: c.namespace)
                }
                guard var spec = lease.spec, spec.holderIdentity == c.identity else { return }
                let wall = clock.wallNow()
                spec.holderIdentity = ""
                spec.leaseDurationSeconds = 1
                spec.renewTime = MicroTime(wall)
                spec.acquireTime = MicroTime(wall)
                lease.spec = spec
                let released = lease
                _ = try await withTimeLimit(c.renewDeadline, clock: clock, "lease \(c.leaseName) release") {
                    try await client.replace(released)
                }
                logger.info("released the lease", metadata: ["lease": "\(c.leaseName)"])
                return
            } catch let error as KubeError where error.isConflict {
                continue
            } catch {
                logger.warning("could not release the lease", metadata: ["error": "\(error)"])
                return
            }
        }
        logger.warning("could not release the lease: conflicting writes", metadata: ["lease": "\(c.leaseName)"])
    }
}
