import Foundation
import HeraldCore
import HeraldKubeModels

/// Which nodes are live, from their membership leases, with no I/O. A lease counts as renewed when its record
/// changes; a node is live while its last renewal was observed less than its live window ago on our own clock: the
/// lease duration less half the renew interval the lease announces (its holder stopped answering half a renew
/// interval before that: see ``NodeMembership``), or the whole duration when it announces none.
/// A lease seen for the first time whose `renewTime` is already older than its duration (by the wall clock, with a
/// tolerance for skew) starts out expired, so a restarted watcher does not resurrect dead nodes.
///
/// **Expiry is confirmed, not inferred.** A lease past its window is *suspect*, and its node stays live, until a
/// consistent read of the lease (``suspects(now:)``, then ``confirm(leaseName:current:now:)``) shows the same record:
/// a watch that lags (a busy host, a watch being re-opened) would otherwise make a renewing node look dead, and two
/// hosts would answer for its addresses. A node still answering has had a renewal *answered*, so that renewal is
/// committed and the read sees it. A host that cannot read keeps every node it cannot confirm gone: it then cannot
/// renew its own lease either, and has stopped claiming.
public struct MembershipView: Sendable {
    struct Entry: Sendable {
        var node: String
        var record: Lease.Spec?
        var observedAt: Duration
        /// How long after `observedAt` the node counts as live.
        var window: Duration
        /// A consistent read showed the record unchanged after the window: the node is gone.
        var confirmedGone = false
        var unhealthy: Set<String> = []
        /// The input versions the node last published (nil: a host that publishes none).
        var applied: InputVersions?
    }

    var entries: [String: Entry] = [:]
    /// Tolerated wall-clock skew between hosts for first observations.
    public var skewTolerance: Duration

    /// Creates an empty view.
    public init(skewTolerance: Duration = .seconds(1)) { self.skewTolerance = skewTolerance }

    /// Records the current state of a membership lease at monotonic `now` and wall time `wall`.
    public mutating func observe(_ lease: Lease, now: Duration, wall: Date) {
        guard let name = lease.metadata.name, let node = lease.spec?.holderIdentity, !node.isEmpty else {
            if let name = lease.metadata.name { entries[name] = nil }
            return
        }
        let duration = Self.duration(lease)
        let window = Self.window(lease, duration: duration)
        if var entry = entries[name] {
            if entry.record != lease.spec {
                entry.record = lease.spec
                entry.observedAt = now
                entry.confirmedGone = false
            }
            entry.node = node
            entry.window = window
            entry.unhealthy = Self.unhealthy(lease)
            entry.applied = Self.applied(lease)
            entries[name] = entry
            return
        }
        var observedAt = now
        if let renew = lease.spec?.renewTime {
            let age = wall.timeIntervalSince(renew.date)
            if age > Double(duration.components.seconds) + Double(skewTolerance.components.seconds) {
                observedAt = now - duration
            }
        }
        entries[name] = Entry(
            node: node, record: lease.spec, observedAt: observedAt, window: window,
            unhealthy: Self.unhealthy(lease), applied: Self.applied(lease))
    }

    static func window(_ lease: Lease, duration: Duration) -> Duration {
        guard let text = lease.metadata.annotations?[NodeMembership.renewIntervalAnnotation], let ms = Int64(text),
            ms > 0, .milliseconds(ms) < duration
        else { return duration }
        return NodeMembership.liveWindow(leaseDuration: duration, renewInterval: .milliseconds(ms))
    }

    /// A membership lease's duration: the precise one of ``NodeMembership/durationAnnotation``, else the spec's
    /// whole seconds (3 when it has none).
    package static func duration(_ lease: Lease) -> Duration {
        let precise = lease.metadata.annotations?[NodeMembership.durationAnnotation].flatMap { Int64($0) }
        return precise.map { Duration.milliseconds($0) } ?? .seconds(lease.spec?.leaseDurationSeconds ?? 3)
    }

    /// The plugin instances a membership lease reports unhealthy (``NodeMembership/unhealthyAnnotation``).
    package static func unhealthy(_ lease: Lease) -> Set<String> {
        Set(
            (lease.metadata.annotations?[NodeMembership.unhealthyAnnotation] ?? "").split(separator: ",").map(
                String.init))
    }

    /// What a lease publishes: nil without the annotation; a malformed one confirms nothing (empty versions).
    static func applied(_ lease: Lease) -> InputVersions? {
        lease.metadata.annotations?[NodeMembership.appliedAnnotation].map {
            InputVersions(annotation: $0) ?? InputVersions()
        }
    }

    /// The input versions each node publishes (see ``InputVersions``); a node without the annotation is absent.
    public var applied: [String: InputVersions] {
        var result: [String: InputVersions] = [:]
        for entry in entries.values { result[entry.node] = entry.applied }
        return result
    }

    /// The plugin instances each node reports unhealthy, from its lease.
    public var unhealthyInstances: [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for entry in entries.values where !entry.unhealthy.isEmpty { result[entry.node] = entry.unhealthy }
        return result
    }

    /// Forgets a deleted lease (a graceful stop): the node is gone at once.
    public mutating func remove(leaseName: String) { entries[leaseName] = nil }

    /// The live nodes at monotonic `now`: within their window, or past it but not yet confirmed gone.
    public func live(now: Duration) -> Set<String> {
        Set(entries.values.filter { !$0.confirmedGone || now - $0.observedAt < $0.window }.map(\.node))
    }

    /// The leases past their window whose expiry no read has confirmed yet: read each, then ``confirm``.
    public func suspects(now: Duration) -> [String] {
        entries.filter { !$0.value.confirmedGone && now - $0.value.observedAt >= $0.value.window }.map(\.key).sorted()
    }

    /// Takes in what a consistent read of a suspect lease returned at `now` (nil: it no longer exists): a changed
    /// record is a renewal the watch has not delivered yet; the same record confirms the node gone.
    public mutating func confirm(leaseName: String, current: Lease?, now: Duration, wall: Date) {
        guard var entry = entries[leaseName] else { return }
        guard let current, current.spec?.holderIdentity?.isEmpty == false else {
            entries[leaseName] = nil
            return
        }
        guard current.spec == entry.record else {
            observe(current, now: now, wall: wall)
            return
        }
        if now - entry.observedAt >= entry.window {
            entry.confirmedGone = true
            entries[leaseName] = entry
        }
    }

    /// The earliest future instant at which a live node expires, to schedule the next re-evaluation.
    public func nextExpiry(after now: Duration) -> Duration? {
        entries.values.map { $0.observedAt + $0.window }.filter { $0 > now }.min()
    }
}
