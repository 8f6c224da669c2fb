/// core/v1 `Node`: addresses, labels and readiness.
public struct Node: KubeResource, Hashable {
    public static let apiVersion = "v1"
    public static let kind = "Node"
    public static let plural = "nodes"
    public static let namespaced = false

    public var apiVersion: String? = Node.apiVersion
    public var kind: String? = Node.kind
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    /// Creates a node.
    public init(metadata: ObjectMeta, spec: Spec? = nil, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// `NodeSpec`.
    public struct Spec: Codable, Sendable, Hashable {
        public var unschedulable: Bool?
        public var taints: [Taint]?
    }

    /// `Taint`.
    public struct Taint: Codable, Sendable, Hashable {
        public var key: String
        public var value: String?
        public var effect: String
    }

    /// `NodeStatus`.
    public struct Status: Codable, Sendable, Hashable {
        public var addresses: [Address]?
        public var conditions: [Condition]?

        /// Creates a status.
        public init(addresses: [Address]? = nil, conditions: [Condition]? = nil) {
            self.addresses = addresses
            self.conditions = conditions
        }
    }

    /// `NodeAddress`.
    public struct Address: Codable, Sendable, Hashable {
        public var type: String
        public var address: String

        /// Creates an address.
        public init(type: String, address: String) {
            self.type = type
            self.address = address
        }
    }

    /// Whether the `NetworkUnavailable` condition is `True`: the node's network is not ready, so it must not
    /// announce (what MetalLB's speakers also honour).
    public var networkUnavailable: Bool {
        status?.conditions?.contains { $0.type == "NetworkUnavailable" && $0.status == "True" } ?? false
    }

    /// `NodeCondition`.
    public struct Condition: Codable, Sendable, Hashable {
        public var type: String
        public var status: String

        /// Creates a condition.
        public init(type: String, status: String) {
            self.type = type
            self.status = status
        }
    }
}

/// core/v1 `Namespace`: names and labels (for namespace selectors).
public struct Namespace: KubeResource, Hashable {
    public static let apiVersion = "v1"
    public static let kind = "Namespace"
    public static let plural = "namespaces"
    public static let namespaced = false

    public var apiVersion: String? = Namespace.apiVersion
    public var kind: String? = Namespace.kind
    public var metadata: ObjectMeta

    /// Creates a namespace.
    public init(metadata: ObjectMeta) { self.metadata = metadata }
}
