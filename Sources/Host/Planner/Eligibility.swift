import HeraldCore

/// What the election knows of a node.
package struct NodeState: Sendable, Hashable {
    package var name: String
    package var labels: [String: String]
    /// Holds a fresh membership lease.
    package var live: Bool
    /// Plugin instances that report their data plane unhealthy on this node (link down…).
    package var unhealthyInstances: Set<String>
    /// The node's `NetworkUnavailable` condition is `True` (its network is not set up; the CNI says so).
    package var networkUnavailable: Bool

    package init(
        name: String, labels: [String: String] = [:], live: Bool = true, unhealthyInstances: Set<String> = [],
        networkUnavailable: Bool = false
    ) {
        self.name = name
        self.labels = labels
        self.live = live
        self.unhealthyInstances = unhealthyInstances
        self.networkUnavailable = networkUnavailable
    }
}

/// Where a service's traffic can go once it reaches a node.
package enum TrafficPolicy: Sendable, Hashable {
    /// `externalTrafficPolicy: Cluster`: any node forwards.
    case cluster
    /// `externalTrafficPolicy: Local`: only nodes with a ready endpoint of the service (names of those nodes).
    case local(readyNodes: Set<String>)
}

/// Which nodes may announce a service through one plugin instance.
package enum Eligibility {
    /// Nodes with this label never announce (the Kubernetes convention).
    package static let excludeLabel = "node.kubernetes.io/exclude-from-external-load-balancers"

    /// Why a node is not eligible, for logs and status.
    package enum Reason: String, Sendable, Hashable {
        case notLive = "no fresh membership lease"
        case excluded = "labelled node.kubernetes.io/exclude-from-external-load-balancers"
        case networkUnavailable = "its NetworkUnavailable condition is True"
        case notSelected = "not selected by the advertisement's node selectors"
        case noLocalEndpoint = "no ready endpoint on the node (externalTrafficPolicy: Local)"
        case unhealthyDataPlane = "the plugin instance reports its data plane unhealthy"
    }

    /// Whether `node` may announce through `instance` for a service with `policy`, under an advertisement with
    /// `nodeSelectors` (empty: every node); the first reason it may not, otherwise. Liveness counts only where
    /// `requireLive` (exclusive instances: the owner must be a node that renews its membership lease; a routed
    /// announcement needs none, since a dead node's sessions drop by themselves).
    package static func check(
        _ node: NodeState, instance: String, nodeSelectors: [LabelSelector], policy: TrafficPolicy,
        requireLive: Bool = true
    ) -> Reason? {
        if requireLive && !node.live { return .notLive }
        if node.labels[excludeLabel] != nil { return .excluded }
        if node.networkUnavailable { return .networkUnavailable }
        if !nodeSelectors.isEmpty && !nodeSelectors.contains(where: { $0.matches(node.labels) }) { return .notSelected }
        if case .local(let ready) = policy, !ready.contains(node.name) { return .noLocalEndpoint }
        if node.unhealthyInstances.contains(instance) { return .unhealthyDataPlane }
        return nil
    }

    /// The eligible nodes' names.
    package static func eligible(
        _ nodes: [NodeState], instance: String, nodeSelectors: [LabelSelector], policy: TrafficPolicy,
        requireLive: Bool = true
    ) -> [String] {
        nodes.filter {
            check($0, instance: instance, nodeSelectors: nodeSelectors, policy: policy, requireLive: requireLive) == nil
        }.map(\.name)
    }

    /// Whether `node` announces `addresses` through an instance of `kind`: for exclusive (layer-2) instances only the
    /// elected owner does; for routed ones (BGP and the like) every eligible node does.
    package static func announces(
        _ node: String, addresses: [IPAddress], exclusive: Bool, eligible: [String]
    ) -> Bool {
        guard eligible.contains(node) else { return false }
        return exclusive ? L2Ownership.owner(of: addresses, among: eligible) == node : true
    }
}
