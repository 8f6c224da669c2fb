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
