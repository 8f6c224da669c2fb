import HeraldCore
import HeraldKube
import HeraldPlanner
import Synchronization

/// The nodes of a cluster: Node objects for their labels, membership leases for who is alive and which instances
/// each reports unhealthy. This node counts as alive for exclusive announcements only while its own lease is
/// renewed with a margin (``NodeMembership/mayAnnounceExclusively``): a host that cannot renew withdraws before any
/// other host may take over.
public final class KubernetesNodeView: NodeView {
    let informer: Informer<Node>
    let membership: MembershipWatcher
    let own: NodeMembership?
    let node: NodeInfo
    let fenceCheck: Duration

    public init(
        nodes: Informer<Node>, membership: MembershipWatcher, own: NodeMembership?, node: NodeInfo,
        fenceCheck: Duration = .milliseconds(50)
    ) {
        self.informer = nodes
        self.membership = membership
        self.own = own
        self.node = node
        self.fenceCheck = fenceCheck
    }

    public func nodes() -> [NodeState] {
        let live = membership.liveNodes
        let unhealthy = membership.unhealthyInstances
        var result = informer.store.list().map { object -> NodeState in
            let name = object.metadata.name ?? ""
            return NodeState(
                name: name, labels: object.metadata.labels ?? [:], live: live.contains(name),
                unhealthyInstances: unhealthy[name] ?? [])
        }
        let mine = own?.mayAnnounceExclusively ?? false
        if let index = result.firstIndex(where: { $0.name == node.name }) {
            result[index].live = mine
        } else {
            result.append(NodeState(name: node.name, labels: node.labels, live: mine))
        }
        return result
    }

    public func report(unhealthyInstances: Set<String>) { own?.setUnhealthyInstances(unhealthyInstances) }

    public func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let nodeEvents = informer.events()
        let members = membership.changes()
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in nodeEvents { continuation.yield() }
                }
                group.addTask {
                    for await _ in members { continuation.yield() }
                }
                // Fencing is a matter of time, not of events: look at the own lease often.
                group.addTask {
                    var last = self.own?.mayAnnounceExclusively ?? false
                    while !Task.isCancelled {
                        try? await Task.sleep(for: self.fenceCheck)
                        let now = self.own?.mayAnnounceExclusively ?? false
                        if now != last { continuation.yield() }
                        last = now
                    }
                }
                await group.next()
                group.cancelAll()
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
