import HeraldCore

/// The validated contents of `herald.yaml` (`apiVersion: herald.dev/v1`, `kind: HeraldConfig`).
/// Only `ConfigParser` makes one, so every value here has passed validation.
public struct HeraldConfiguration: Sendable, Equatable {
    public static let apiVersion = "herald.dev/v1"
    public static let kind = "HeraldConfig"

    /// The node identity used without a cluster (static VIPs). Unset fields come from the machine at run time.
    public var node: NodeSpec
    /// Serve only Services with this `spec.loadBalancerClass`; nil: only Services with no class (MetalLB's rule).
    public var loadBalancerClass: String?
    /// Who may share an address under one `allow-shared-ip` key, for every pool that sets no `sharingScope` of its
    /// own (the parser has already applied it to each pool's `Pool/sharingScope`).
    public var sharingScope: SharingScope = .cluster
    public var pools: [Pool]
    public var advertisements: [Advertisement]
    public var staticVIPs: [StaticVIP]
    /// What the file says that is valid but probably not meant (a pool CIDR with host bits set), sorted by location;
    /// `herald check` prints them. They change nothing in the configuration.
    public var warnings: [Diagnostic] = []
    /// `metallb`: pools and advertisements come from MetalLB's objects in a namespace, not from this file.
    public var metallb: MetalLBSettings?
    /// Where the file writes its top-level keys (`pools`, `advertisements`…), for errors about a whole section.
    public var keyLocations: [String: SourceLocation] = [:]

    public init(
        node: NodeSpec = .init(), pools: [Pool] = [], advertisements: [Advertisement] = [], staticVIPs: [StaticVIP] = []
    ) {
        self.node = node
        self.pools = pools
        self.advertisements = advertisements
        self.staticVIPs = staticVIPs
    }

    public func pool(named name: String) -> Pool? { pools.first { $0.name == name } }

    /// The pool whose ranges contain `address`, if any (pools never overlap).
    public func pool(containing address: IPAddress) -> Pool? {
        pools.first { $0.ranges.contains { $0.contains(address) } }
    }
}

public struct NodeSpec: Sendable, Equatable {
    public var name: String?
    public var labels: [String: String]
    public var addresses: [String]

    public init(name: String? = nil, labels: [String: String] = [:], addresses: [String] = []) {
        self.name = name
        self.labels = labels
        self.addresses = addresses
    }
}

/// Which pools go out through which plugin instance, from which nodes, with which attributes.
public struct Advertisement: Sendable, Equatable {
    public var name: String
    /// The plugin instance (a plugins.d `name`) that announces.
    public var plugin: String
    /// Pool names; empty means every pool.
    public var pools: [String]
    /// Nodes that may announce; empty means every node. A node matching any selector qualifies.
    public var nodeSelectors: [LabelSelector]
    /// Announce the covering prefix of this length instead of each /32 (routed plugins); nil means the host route.
    public var aggregationLength: Int?
    public var aggregationLengthV6: Int?
    /// Plugin-specific attributes (communities, localPreference, interfaces…) as a JSON object.
    public var attributesJSON: String

    public init(
        name: String, plugin: String, pools: [String] = [], nodeSelectors: [LabelSelector] = [],
        aggregationLength: Int? = nil, aggregationLengthV6: Int? = nil, attributesJSON: String = "{}"
    ) {
        self.name = name
        self.plugin = plugin
        self.pools = pools
        self.nodeSelectors = nodeSelectors
        self.aggregationLength = aggregationLength
        self.aggregationLengthV6 = aggregationLengthV6
        self.attributesJSON = attributesJSON
    }

    public func covers(pool: String) -> Bool { pools.isEmpty || pools.contains(pool) }

    public func selects(nodeLabels: [String: String]) -> Bool {
        nodeSelectors.isEmpty || nodeSelectors.contains { $0.matches(nodeLabels) }
    }
}

/// An address announced without Kubernetes, through the advertisements that cover its pool.
public struct StaticVIP: Sendable, Equatable {
    public var name: String
    public var address: IPAddress
    /// The `namespace/name` strings plugins see as the services this address serves; default `static/<name>`.
    public var services: [ServiceID]
    /// Restrict to these advertisements; empty means every advertisement covering the address's pool.
    public var advertisements: [String]

    public init(name: String, address: IPAddress, services: [ServiceID] = [], advertisements: [String] = []) {
        self.name = name
        self.address = address
        self.services = services.isEmpty ? [ServiceID(namespace: "static", name: name)] : services
        self.advertisements = advertisements
    }
}

/// `metallb` in herald.yaml: read pools, advertisements and the plugin instances they need from MetalLB's custom
/// resources (group `metallb.io`) in `namespace`.
public struct MetalLBSettings: Sendable, Equatable {
    public var namespace: String

    public init(namespace: String) { self.namespace = namespace }
}
