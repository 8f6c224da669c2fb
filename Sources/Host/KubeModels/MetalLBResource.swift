/// A kind of MetalLB's custom resources (group `metallb.io`), all namespaced.
public protocol MetalLBKind: Sendable {
    static var kind: String { get }
    /// The version Herald reads (what MetalLB stores).
    static var version: String { get }
    static var plural: String { get }
}

/// One MetalLB custom resource as the API server sends it: its metadata and its `spec` as JSON, which
/// `HeraldMetalLB` reads with the same reader as `herald convert` reads manifests.
public struct MetalLBResource<Kind: MetalLBKind>: KubeResource, Equatable {
    public static var apiVersion: String { "metallb.io/\(Kind.version)" }
    public static var kind: String { Kind.kind }
    public static var plural: String { Kind.plural }
    public static var namespaced: Bool { true }

    public var metadata: ObjectMeta
    public var spec: JSONValue?

    public init(metadata: ObjectMeta, spec: JSONValue? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// The kinds `herald run --metallb-namespace` reads.
public enum MetalLBKinds {
    public enum IPAddressPool: MetalLBKind {
        public static let kind = "IPAddressPool"
        public static let version = "v1beta1"
        public static let plural = "ipaddresspools"
    }

    public enum L2Advertisement: MetalLBKind {
        public static let kind = "L2Advertisement"
        public static let version = "v1beta1"
        public static let plural = "l2advertisements"
    }

    public enum BGPAdvertisement: MetalLBKind {
        public static let kind = "BGPAdvertisement"
        public static let version = "v1beta1"
        public static let plural = "bgpadvertisements"
    }

    public enum BGPPeer: MetalLBKind {
        public static let kind = "BGPPeer"
        public static let version = "v1beta2"
        public static let plural = "bgppeers"
    }

    public enum BFDProfile: MetalLBKind {
        public static let kind = "BFDProfile"
        public static let version = "v1beta1"
        public static let plural = "bfdprofiles"
    }

    public enum Community: MetalLBKind {
        public static let kind = "Community"
        public static let version = "v1beta1"
        public static let plural = "communities"
    }
}

extension MetalLBKinds {
    /// Which node announces a Service through layer 2 (written by that node).
    public enum ServiceL2Status: MetalLBKind {
        public static let kind = "ServiceL2Status"
        public static let version = "v1beta1"
        public static let plural = "servicel2statuses"
    }

    /// Which node announces a Service through BGP, and to which peers (written by that node).
    public enum ServiceBGPStatus: MetalLBKind {
        public static let kind = "ServiceBGPStatus"
        public static let version = "v1beta1"
        public static let plural = "servicebgpstatuses"
    }
}

extension MetalLBKinds {
    /// Whether a MetalLB component's configuration is valid (written by each component about itself).
    public enum ConfigurationState: MetalLBKind {
        public static let kind = "ConfigurationState"
        public static let version = "v1beta1"
        public static let plural = "configurationstates"
    }
}

/// A MetalLB object Herald writes: its metadata and its `status` (the kinds Herald writes keep everything there).
public struct MetalLBStatusObject<Kind: MetalLBKind, Status: Codable & Sendable & Equatable>: KubeResource, Equatable {
    public static var apiVersion: String { "metallb.io/\(Kind.version)" }
    public static var kind: String { Kind.kind }
    public static var plural: String { Kind.plural }
    public static var namespaced: Bool { true }

    public var metadata: ObjectMeta
    public var status: Status?

    public init(metadata: ObjectMeta, status: Status? = nil) {
        self.metadata = metadata
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, status
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try container.decode(ObjectMeta.self, forKey: .metadata)
        status = try container.decodeIfPresent(Status.self, forKey: .status)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.apiVersion, forKey: .apiVersion)
        try container.encode(Self.kind, forKey: .kind)
        try container.encode(metadata, forKey: .metadata)
        try container.encodeIfPresent(status, forKey: .status)
    }
}

/// The labels MetalLB puts on the objects its components write.
public enum MetalLBLabels {
    public static let node = "metallb.io/node"
    public static let serviceName = "metallb.io/service-name"
    public static let serviceNamespace = "metallb.io/service-namespace"
    public static let componentType = "metallb.io/component-type"
    public static let nodeName = "metallb.io/node-name"
}

/// The status of a `ServiceL2Status` or `ServiceBGPStatus`: which node announces which Service (labelled the same:
/// ``MetalLBLabels``).
public struct MetalLBAnnouncementStatusBody: Codable, Sendable, Equatable {
    public struct Interface: Codable, Sendable, Equatable {
        public var name: String
        public init(name: String) { self.name = name }
    }

    public var node: String?
    public var serviceName: String?
    public var serviceNamespace: String?
    /// ServiceL2Status: the interfaces the address is announced on.
    public var interfaces: [Interface]?
    /// ServiceBGPStatus: the BGPPeers the address is announced to.
    public var peers: [String]?

    public init(node: String, serviceName: String, serviceNamespace: String) {
        self.node = node
        self.serviceName = serviceName
        self.serviceNamespace = serviceNamespace
    }
}

/// A `ServiceL2Status` or `ServiceBGPStatus` as MetalLB's speakers write them.
public typealias MetalLBServiceStatus<Kind: MetalLBKind> = MetalLBStatusObject<Kind, MetalLBAnnouncementStatusBody>

/// The status of a `ConfigurationState`: `result` (`Valid`, `Invalid`, `Unknown`) and `errorSummary` of one
/// component.
public struct MetalLBConfigurationStatus: Codable, Sendable, Equatable {
    public var result: String?
    public var errorSummary: String?

    public init(result: String, errorSummary: String) {
        self.result = result
        self.errorSummary = errorSummary
    }
}

/// A `ConfigurationState`, labelled `metallb.io/component-type` and `metallb.io/node-name` as MetalLB's.
public typealias MetalLBConfigurationState = MetalLBStatusObject<
    MetalLBKinds.ConfigurationState, MetalLBConfigurationStatus
>
