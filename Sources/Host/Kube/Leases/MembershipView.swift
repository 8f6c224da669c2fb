import Foundation

/// Which nodes are live, from their membership leases, with no I/O. A lease counts as renewed when its record
/// changes; a node is live while its last renewal was observed less than its lease duration ago on our own clock.
/// A lease seen for the first time whose `renewTime` is already older than its duration (by the wall clock, with a
/// tolerance for skew) starts out expired, so a restarted watcher does not resurrect dead nodes.
public struct MembershipView: Sendable {
    struct Entry: Sendable {
        var node: String
        var record: Lease.Spec?
        var observedAt: Duration
        var duration: Duration
        var unhealthy: Set<String> = []
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
        let precise = lease.metadata.annotations?[NodeMembership.durationAnnotation].flatMap { Int64($0) }
        let duration = precise.map { Duration.milliseconds($0) } ?? .seconds(lease.spec?.leaseDurationSeconds ?? 3)
        if var entry = entries[name] {
            if entry.record != lease.spec {
                entry.record = lease.spec
                entry.observedAt = now
            }
            entry.node = node
            entry.duration = duration
            entry.unhealthy = Self.unhealthy(lease)
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
            node: node, record: lease.spec, observedAt: observedAt, duration: duration, unhealthy: Self.unhealthy(lease)
        )
    }

    static func unhealthy(_ lease: Lease) -> Set<String> {
        Set(
            (lease.metadata.annotations?[NodeMembership.unhealthyAnnotation] ?? "").split(separator: ",").map(
                String.init))
    }

    /// The plugin instances each node reports unhealthy, from its lease.
    public var unhealthyInstances: [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for entry in entries.values where !entry.unhealthy.isEmpty { result[entry.node] = entry.unhealthy }
        return result
    }

    /// Forgets a deleted lease (a graceful stop): the node is gone at once.
    public mutating func remove(leaseName: String) { entries[leaseName] = nil }

    /// The live nodes at monotonic `now`.
    public func live(now: Duration) -> Set<String> {
        Set(entries.values.filter { now - $0.observedAt < $0.duration }.map(\.node))
    }

    /// The earliest future instant at which a live node expires, to schedule the next re-evaluation.
    public func nextExpiry(after now: Duration) -> Duration? {
        entries.values.map { $0.observedAt + $0.duration }.filter { $0 > now }.min()
    }
}
