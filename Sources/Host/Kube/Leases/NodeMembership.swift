import Foundation
import HeraldCore
import HeraldKubeModels
import Logging
import Synchronization

/// This node's membership lease: created or taken over at start, renewed every `renewInterval` (1 s) with a
/// duration of `leaseDuration` (3 s), deleted on a graceful stop so that the others see the node leave at once.
/// ``holdsValidLease`` turns false when renewals have failed for the lease duration.
///
/// Fencing contract (what lets another host take over before the lease expires): this host stops answering for
/// exclusive addresses one renew interval before the lease duration, counted from the instant it *sent* its last
/// successful renewal (``mayAnnounceExclusively``); every other host observes that renewal later than it was sent,
/// and counts the node live for the lease duration less *half* a renew interval from then (``MembershipView``). Half a
/// renew interval always separates the two, whatever the latency of the request; a watch that lags behind later
/// renewals cannot make a live node look dead either, because every expiry is confirmed by a read of the lease.
public final class NodeMembership: Sendable {
    /// The label every membership lease carries; its value is the node name.
    public static let label = "herald.dev/member"
    /// The annotation naming the plugin instances whose data plane this node reports unhealthy (comma-separated), so
    /// that every host leaves the node out of those instances' elections alike.
    public static let unhealthyAnnotation = "herald.dev/unhealthy-instances"
    /// The lease duration in milliseconds: `leaseDurationSeconds` holds whole seconds only, and a lease of 1.5 s must
    /// expire after 1.5 s for every host.
    public static let durationAnnotation = "herald.dev/lease-duration-ms"
    /// The renew interval in milliseconds: the other hosts count the node live for the lease duration less half of
    /// it (see the fencing contract above).
    public static let renewIntervalAnnotation = "herald.dev/renew-interval-ms"
    /// The annotation with the input versions (``InputVersions``) this node's last completed reconcile pass was
    /// planned on: another host confirms a handover from this node by them. Empty until the first pass.
    public static let appliedAnnotation = "herald.dev/applied"

    /// Naming and timing.
    public struct Configuration: Sendable {
        public var nodeName: String
        public var namespace: String
        public var renewInterval: Duration
        public var leaseDuration: Duration
        /// Delete the lease when the task running ``NodeMembership/run()`` is cancelled (a graceful stop).
        public var deleteOnStop: Bool
        /// The shortest time between two renewals: what this node has to publish (the versions its passes applied,
        /// its unhealthy instances) is written this soon after it changes instead of at the next renew interval, so
        /// that a handover waits for this, not for a renewal. It bounds the lease writes of a node under churn.
        public var publishSpacing: Duration = .milliseconds(200)

        /// Creates a configuration.
        public init(
            nodeName: String, namespace: String = "herald-system", renewInterval: Duration = .seconds(1),
            leaseDuration: Duration = .seconds(3), deleteOnStop: Bool = true
        ) {
            self.deleteOnStop = deleteOnStop
            self.nodeName = nodeName
            self.namespace = namespace
            self.renewInterval = renewInterval
            self.leaseDuration = leaseDuration
        }

        /// The name of this node's lease.
        public var leaseName: String { NodeMembership.leaseName(for: nodeName) }
    }

    /// The lease name of a node.
    public static func leaseName(for node: String) -> String { "herald-member-\(node)" }

    struct State {
        var lease: Lease?
        var lastRenew: Duration?
        /// When the last successful renewal was sent: fencing counts from here, never from the response.
        var lastRenewSent: Duration?
        var renewals = 0
        var unhealthy: Set<String> = []
        var applied = InputVersions()
        /// Why renewals are held now (nil: they are not), as last logged.
        var held: String?
        /// Something changed that the last renewal did not write.
        var unpublished = false
    }

    let client: KubeClient
    public let configuration: Configuration
    let clock: any KubeClock
    let logger: Logger
    let state = Mutex(State())
    /// Asked before each renewal: a reason to hold it (this host cannot keep its promises: its reconcile loop is
    /// stuck, an exclusive instance hangs), or nil to renew.
    let gate = Mutex<(@Sendable () -> String?)?>(nil)

    /// Creates the membership of one node.
    public init(
        client: KubeClient, configuration: Configuration, clock: any KubeClock = SystemKubeClock(), logger: Logger
    ) {
        self.client = client
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    /// Whether the last successful renewal is younger than the lease duration.
    public var holdsValidLease: Bool {
        let now = clock.now()
        return state.withLock { s in s.lastRenew.map { now - $0 < configuration.leaseDuration } ?? false }
    }

    /// Whether this node may still answer for exclusive addresses: its last successful renewal was sent less than
    /// the lease duration less one renew interval ago, so it stops half a renew interval before any other host can
    /// count it gone (fencing).
    public var mayAnnounceExclusively: Bool {
        let now = clock.now()
        let limit = Self.fence(leaseDuration: configuration.leaseDuration, renewInterval: configuration.renewInterval)
        return state.withLock { s in s.lastRenewSent.map { now - $0 < limit } ?? false }
    }

    /// How long after sending a renewal a host stops answering for exclusive addresses.
    public static func fence(leaseDuration: Duration, renewInterval: Duration) -> Duration {
        leaseDuration - renewInterval
    }

    /// How long after observing a renewal the other hosts count the node live: half a renew interval after its
    /// fence, so that no instant has two owners.
    public static func liveWindow(leaseDuration: Duration, renewInterval: Duration) -> Duration {
        leaseDuration - renewInterval / 2
    }

    /// Publishes, from the next renewal on (``Configuration/publishSpacing``), the instances whose data plane is
    /// unhealthy on this node.
    public func setUnhealthyInstances(_ instances: Set<String>) {
        let changed = state.withLock { s in
            guard s.unhealthy != instances else { return false }
            s.unhealthy = instances
            return true
        }
        if changed { requestPublication() }
    }

    /// Publishes, from the next renewal on (``Configuration/publishSpacing``), the input versions of this node's
    /// last completed reconcile pass.
    public func setApplied(_ versions: InputVersions) {
        let changed = state.withLock { s in
            guard s.applied != versions else { return false }
            s.applied = versions
            return true
        }
        if changed { requestPublication() }
    }

    /// Asks for a renewal soon (``Configuration/publishSpacing``) to publish a change.
    private func requestPublication() {
        state.withLock { $0.unpublished = true }
    }

    /// Waits until the next renewal is due: a renew interval after the last one, or sooner, at a multiple of
    /// ``Configuration/publishSpacing``, when there is something new to publish. (Steps of the clock, not a stream of
    /// wakes: an `AsyncStream` ends for good once a waiting task is cancelled.)
    private func pause() async throws {
        let interval = configuration.renewInterval
        let step = min(configuration.publishSpacing, interval)
        var waited = Duration.zero
        while waited < interval {
            let next = min(step, interval - waited)
            try await clock.sleep(for: next)
            waited += next
            if state.withLock({ $0.unpublished }) { return }
        }
    }

    /// Sets what is asked before each renewal (see ``gate``).
    public func setRenewalGate(_ check: @escaping @Sendable () -> String?) {
        gate.withLock { $0 = check }
    }

    /// Successful renewals so far.
    public var renewals: Int { state.withLock { $0.renewals } }

    /// Renews until cancelled, then deletes the lease.
    public func run() async {
        while !Task.isCancelled {
            let hold = gate.withLock { $0 }?()
            let before = state.withLock { s in
                defer { s.held = hold }
                return s.held
            }
            if hold != before {
                if let hold {
                    logger.error(
                        "holding membership renewals: \(hold); this node's lease lapses and other nodes take over")
                } else {
                    logger.info("membership renewals resume")
                }
            }
            if hold != nil {
                do { try await clock.sleep(for: min(configuration.renewInterval, .milliseconds(100))) } catch { break }
                continue
            }
            do {
                try await renewOnce()
            } catch {
                logger.warning("cannot renew membership lease", metadata: ["error": "\(error)"])
                state.withLock { $0.lease = nil }
            }
            do { try await pause() } catch { break }
        }
        if !configuration.deleteOnStop {
            state.withLock {
                $0.lastRenew = nil
                $0.lastRenewSent = nil
            }
            return
        }
        // The run task is cancelled by now; delete from a fresh task so the request is not cancelled too. No
        // resourceVersion precondition: only this node writes its lease, and a renewal cancelled mid-flight may
        // still have changed it on the server.
        await Task {
            do {
                try await self.client.delete(
                    Lease.self, name: self.configuration.leaseName, namespace: self.configuration.namespace)
                self.logger.info("deleted membership lease", metadata: ["lease": "\(self.configuration.leaseName)"])
            } catch {
                self.logger.warning("cannot delete membership lease", metadata: ["error": "\(error)"])
            }
        }.value
        state.withLock {
            $0.lastRenew = nil
            $0.lastRenewSent = nil
        }
    }

    func renewOnce() async throws {
        let c = configuration
        let wall = clock.wallNow()
        let sent = clock.now()
        var lease: Lease
        if let known = state.withLock({ $0.lease }) {
            lease = known
        } else {
            do {
                lease = try await client.get(Lease.self, name: c.leaseName, namespace: c.namespace)
            } catch let error as KubeError where error.isNotFound {
                let fresh = Lease(
                    metadata: ObjectMeta(
                        name: c.leaseName, namespace: c.namespace, labels: [Self.label: c.nodeName],
                        annotations: [
                            Self.appliedAnnotation: state.withLock {
                                $0.unpublished = false
                                return $0.applied.description
                            },
                            Self.durationAnnotation: "\(c.leaseDuration.milliseconds)",
                            Self.renewIntervalAnnotation: "\(c.renewInterval.milliseconds)",
                        ]),
                    spec: spec(wall: wall, acquire: wall))
                let created = try await client.create(fresh)
                record(created, sent: sent)
                return
            }
        }
        lease.spec = spec(
            wall: wall, acquire: lease.spec?.holderIdentity == c.nodeName ? lease.spec?.acquireTime?.date ?? wall : wall
        )
        lease.metadata.labels = (lease.metadata.labels ?? [:]).merging([Self.label: c.nodeName]) { $1 }
        let (unhealthySet, applied) = state.withLock { s in
            s.unpublished = false
            return (s.unhealthy, s.applied)
        }
        let unhealthy = unhealthySet.sorted().joined(separator: ",")
        var annotations = lease.metadata.annotations ?? [:]
        annotations[Self.appliedAnnotation] = applied.description
        annotations[Self.unhealthyAnnotation] = unhealthy.isEmpty ? nil : unhealthy
        annotations[Self.durationAnnotation] = "\(c.leaseDuration.milliseconds)"
        annotations[Self.renewIntervalAnnotation] = "\(c.renewInterval.milliseconds)"
        lease.metadata.annotations = annotations.isEmpty ? nil : annotations
        do {
            record(try await client.replace(lease), sent: sent)
        } catch let error as KubeError where error.isConflict || error.isNotFound {
            state.withLock { $0.lease = nil }
            throw error
        }
    }

    private func spec(wall: Date, acquire: Date) -> Lease.Spec {
        Lease.Spec(
            holderIdentity: configuration.nodeName,
            leaseDurationSeconds: Int((Double(configuration.leaseDuration.milliseconds) / 1000).rounded(.up)),
            acquireTime: MicroTime(acquire), renewTime: MicroTime(wall))
    }

    private func record(_ lease: Lease, sent: Duration) {
        let now = clock.now()
        state.withLock { s in
            s.lease = lease
            s.lastRenew = now
            s.lastRenewSent = sent
            s.renewals += 1
        }
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
