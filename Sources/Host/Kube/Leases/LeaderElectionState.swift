import Foundation
import HeraldKubeModels

/// The decision core of leader election, with client-go's semantics and no I/O: a lease held by someone else is taken
/// over only after its record has been observed unchanged for the lease duration on this process's own clock (never
/// by comparing the remote `renewTime` with the local wall clock).
public struct LeaderElectionState: Sendable {
    /// What to do after reading the lease.
    public enum Action: Sendable, Equatable {
        /// No lease exists: create it as holder.
        case create
        /// We hold it: renew (PUT with the read resourceVersion).
        case renew
        /// The holder released it or stopped renewing: take it over (PUT with the read resourceVersion).
        case takeOver
        /// Someone else holds a live lease.
        case follow(holder: String)
    }

    public let identity: String
    public let leaseDuration: Duration
    private(set) var observedRecord: Lease.Spec?
    private(set) var observedAt: Duration?

    /// Creates the state of one candidate.
    public init(identity: String, leaseDuration: Duration) {
        self.identity = identity
        self.leaseDuration = leaseDuration
    }

    /// Decides from the current record (`nil` when the lease does not exist) at monotonic time `now`.
    public mutating func decide(current: Lease.Spec?, now: Duration) -> Action {
        guard let current else {
            observedRecord = nil
            observedAt = nil
            return .create
        }
        if current != observedRecord || observedAt == nil {
            observedRecord = current
            observedAt = now
        }
        let holder = current.holderIdentity ?? ""
        if holder == identity { return .renew }
        if holder.isEmpty { return .takeOver }
        if let observedAt, now - observedAt >= leaseDuration { return .takeOver }
        return .follow(holder: holder)
    }

    /// The record to write for `action` at wall time `wall`.
    public func record(for action: Action, current: Lease.Spec?, wall: Date) -> Lease.Spec {
        let seconds = Int(
            (Double(leaseDuration.components.seconds) + Double(leaseDuration.components.attoseconds) / 1e18).rounded(
                .up))
        var spec = Lease.Spec(
            holderIdentity: identity, leaseDurationSeconds: max(1, seconds), acquireTime: MicroTime(wall),
            renewTime: MicroTime(wall), leaseTransitions: current?.leaseTransitions ?? 0)
        switch action {
        case .renew:
            spec.acquireTime = current?.acquireTime ?? MicroTime(wall)
        case .takeOver:
            if let holder = current?.holderIdentity, !holder.isEmpty, holder != identity {
                spec.leaseTransitions = (current?.leaseTransitions ?? 0) + 1
            }
        case .create, .follow:
            break
        }
        return spec
    }

    /// Remembers the record we just wrote, so our own write does not count as a change by someone else.
    public mutating func wrote(_ record: Lease.Spec, now: Duration) {
        observedRecord = record
        observedAt = now
    }
}
