import HeraldCore
import HeraldPlanner

/// The nodes that take part in elections, as this host sees them: their labels, whether each renews its membership
/// lease, which plugin instances each reports unhealthy. Without a view, this node is alone.
package protocol NodeView: Sendable {
    /// Every node now (this one included when the view knows it).
    func nodes() -> [NodeState]
    /// Signals each change of ``nodes()``.
    func changes() -> AsyncStream<Void>
    /// Tells the other hosts which instances are unhealthy on this node.
    func report(unhealthyInstances: Set<String>)
    /// How far this host's view of the cluster reaches now (nil: a view without versions, where handovers are not
    /// confirmed; see ``InputVersions``).
    func inputVersions() -> InputVersions?
    /// Tells the other hosts the input versions of this node's last completed reconcile pass.
    func report(applied: InputVersions)
    /// The input versions each other node last published; a node absent here does not confirm handovers.
    func confirmations() -> [String: InputVersions]
}

extension NodeView {
    package func report(unhealthyInstances: Set<String>) {}
    package func inputVersions() -> InputVersions? { nil }
    package func report(applied: InputVersions) {}
    package func confirmations() -> [String: InputVersions] { [:] }
}

/// What a host tells Kubernetes about its announcements: which node announces a Service, and what its plugins said.
package protocol AnnouncementEvents: Sendable {
    /// This node began to announce `services` through the exclusive instance `instance`.
    func nodeAssigned(services: [ServiceID], address: String, node: String, instance: String)
    /// A plugin's event, about the services of one of its announcements (or about this node when there are none).
    func pluginEvent(_ event: PluginEvent, services: [ServiceID])
    /// A plugin instance's data plane changed health on this node.
    func health(instance: String, healthy: Bool, detail: String?)
}
