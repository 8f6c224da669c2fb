import HeraldCore
import HeraldKube
import HeraldKubeModels
import HeraldPlanner
import Synchronization

/// The nodes of a cluster: Node objects for their labels, membership leases for who is alive and which instances
/// each reports unhealthy. This node counts as alive for exclusive announcements only while
/// - its own lease is renewed with a margin (``NodeMembership/mayAnnounceExclusively``): a host that cannot renew
///   withdraws before any other host may take over (fencing); and
/// - its own watch of the leases shows its latest renewal: the watch delivers in order, so the view of every other
///   node is then as recent as that renewal. A host that starts, or comes back from a cut, claims nothing on a view
///   in which the others look dead only because it has not heard from them yet; and
/// - that has held for `joinDelay` (half a renew interval): the hosts that announced in its place see its renewed
///   lease too and withdraw first, so that no instant has two owners.
package final class KubernetesNodeView: NodeView {
    let informer: Informer<Node>
    let membership: MembershipWatcher
    let own: NodeMembership?
    let node: LocalNode
    let fenceCheck: Duration
    let joinDelay: Duration
    /// Since when this node has been alive in its own view (nil: it is not).
    let aliveSince = Mutex<ContinuousClock.Instant?>(nil)
    /// The resourceVersions of the caches the plan reads (see ``InputVersions``).
    let versions: @Sendable () -> InputVersions?

    package init(
        nodes: Informer<Node>, membership: MembershipWatcher, own: NodeMembership?, node: LocalNode,
        fenceCheck: Duration = .milliseconds(50), joinDelay: Duration? = nil,
        versions: @escaping @Sendable () -> InputVersions? = { nil }
    ) {
        self.versions = versions
        self.joinDelay = joinDelay ?? (own.map { $0.configuration.renewInterval / 2 } ?? .zero)
        self.informer = nodes
        self.membership = membership
        self.own = own
        self.node = node
        self.fenceCheck = fenceCheck
    }

    package func nodes() -> [NodeState] {
        let live = membership.liveNodes
        let unhealthy = membership.unhealthyInstances
        var result = informer.store.list().map { object -> NodeState in
            let name = object.metadata.name ?? ""
            return NodeState(
                name: name, labels: object.metadata.labels ?? [:], live: live.contains(name),
                unhealthyInstances: unhealthy[name] ?? [], networkUnavailable: object.networkUnavailable)
        }
        let mine = claims(alive: (own?.mayAnnounceExclusively ?? false) && live.contains(node.name))
        if let index = result.firstIndex(where: { $0.name == node.name }) {
            result[index].live = mine
        } else {
            result.append(NodeState(name: node.name, labels: node.labels, live: mine))
        }
        return result
    }

    /// Whether this node claims exclusive addresses, given whether it is alive in its own view now.
    func claims(alive: Bool) -> Bool {
        let now = ContinuousClock.now
        return aliveSince.withLock { since in
            guard alive else {
                since = nil
                return false
            }
            if since == nil { since = now }
            return now - since! >= joinDelay
        }
    }

    package func report(unhealthyInstances: Set<String>) { own?.setUnhealthyInstances(unhealthyInstances) }

    package func inputVersions() -> InputVersions? { versions() }

    package func report(applied: InputVersions) { own?.setApplied(applied) }

    package func confirmations() -> [String: InputVersions] { membership.appliedVersions }

    package func changes() -> AsyncStream<Void> {
        .merging(informer.changes(), membership.changes(), ownLiveness())
    }

    /// Fencing is a matter of time, not of events: a stream that yields when this node's own lease, looked at often,
    /// turns live or lapses.
    private func ownLiveness() -> AsyncStream<Void> {
        AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let task = Task {
                var last = self.nodes().first { $0.name == self.node.name }?.live ?? false
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.fenceCheck)
                    let now = self.nodes().first { $0.name == self.node.name }?.live ?? false
                    if now != last { continuation.yield() }
                    last = now
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
