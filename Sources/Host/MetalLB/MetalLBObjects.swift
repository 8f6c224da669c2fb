import HeraldConfigModel
import HeraldCore

/// Where a MetalLB object was read from and where each of its fields is written, so that whatever the translation
/// says about a field points at it.
public struct Origin: Sendable, Equatable {
    /// One field as written in the input.
    public struct Field: Sendable, Equatable {
        /// How the input spells it: `spec.holdTime`, or `peers[0].hold-time` in a legacy ConfigMap.
        public var path: String
        public var location: SourceLocation

        public init(path: String, location: SourceLocation) {
            self.path = path
            self.location = location
        }
    }

    /// How messages name the object: `BGPPeer "router1"`, `ConfigMap "metallb-system/config"`.
    public var object: String
    public var location: SourceLocation
    /// By the field's name in MetalLB's custom resources (`holdTime`, `communities[1]`), whatever the input's
    /// spelling.
    public var fields: [String: Field]

    public init(object: String, location: SourceLocation, fields: [String: Field] = [:]) {
        self.object = object
        self.location = location
        self.fields = fields
    }

    /// Where `name` is written, or the object itself when it is not (a default, an object from a cluster).
    public func field(_ name: String) -> Field { fields[name] ?? Field(path: name, location: location) }
}

/// An `IPAddressPool` (metallb.io/v1beta1), or an `address-pools` entry of a legacy ConfigMap.
public struct IPAddressPool: Sendable, Equatable {
    public var name: String
    /// `metadata.labels`, which advertisements' `ipAddressPoolSelectors` match.
    public var labels: [String: String] = [:]
    /// CIDRs, `a-b` ranges or single addresses, as written.
    public var addresses: [String] = []
    public var autoAssign = true
    public var avoidBuggyIPs = false
    public var serviceAllocation: ServiceAllocation?
    public var origin: Origin

    public init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// Which pools an advertisement covers: named ones and those whose labels match a selector; neither means every
/// pool.
public struct PoolSelection: Sendable, Equatable {
    public var names: [String] = []
    public var selectors: [LabelSelector] = []

    public init(names: [String] = [], selectors: [LabelSelector] = []) {
        self.names = names
        self.selectors = selectors
    }
}

/// An `L2Advertisement` (metallb.io/v1beta1).
public struct L2Advertisement: Sendable, Equatable {
    public var name: String
    public var pools = PoolSelection()
    public var nodeSelectors: [LabelSelector] = []
    public var interfaces: [String] = []
    public var serviceSelectors: [LabelSelector] = []
    public var preferredNodeSelectors: [LabelSelector] = []
    public var origin: Origin

    public init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// A `BGPAdvertisement` (metallb.io/v1beta1), or a `bgp-advertisements` entry of a legacy ConfigMap pool.
public struct BGPAdvertisement: Sendable, Equatable {
    public var name: String
    /// nil: MetalLB's default, the host route (32 and 128).
    public var aggregationLength: Int?
    public var aggregationLengthV6: Int?
    public var localPref: UInt32?
    /// `a:b`, `large:a:b:c`, a well-known name (`no-export`) or the name of a ``Community`` alias.
    public var communities: [String] = []
    public var pools = PoolSelection()
    public var nodeSelectors: [LabelSelector] = []
    /// Names of the ``BGPPeer``s to announce to; empty: every peer.
    public var peers: [String] = []
    public var serviceSelectors: [LabelSelector] = []
    public var origin: Origin

    public init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// A reference to a Secret (`BGPPeer.spec.passwordSecret`).
public struct SecretReference: Sendable, Equatable, CustomStringConvertible {
    public var namespace: String?
    public var name: String

    public init(namespace: String?, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }
}

/// A `BGPPeer` (metallb.io/v1beta2 or v1beta1), or a `peers` entry of a legacy ConfigMap.
public struct BGPPeer: Sendable, Equatable {
    public var name: String
    public var myASN: UInt32
    public var peerASN: UInt32?
    /// `internal` or `external`: the peer's AS is learnt from its OPEN.
    public var dynamicASN: String?
    public var peerAddress: String?
    /// BGP unnumbered: the session runs over this interface's link-local address.
    public var interface: String?
    public var sourceAddress: String?
    public var peerPort: Int?
    public var holdTime: Duration?
    public var keepaliveTime: Duration?
    public var connectTime: Duration?
    public var routerID: String?
    public var nodeSelectors: [LabelSelector] = []
    /// The TCP MD5 password, written in the object. Never printed.
    public var password: String?
    public var passwordSecret: SecretReference?
    public var bfdProfile: String?
    public var enableGracefulRestart = false
    public var ebgpMultiHop = false
    public var vrf: String?
    /// nil when not written: MetalLB before 0.14 read its absence as false.
    public var disableMP: Bool?
    public var dualStackAddressFamily = false
    public var origin: Origin

    public init(name: String, myASN: UInt32, origin: Origin) {
        self.name = name
        self.myASN = myASN
        self.origin = origin
    }
}

/// A `BFDProfile` (metallb.io/v1beta1). Intervals in milliseconds.
public struct BFDProfile: Sendable, Equatable {
    public var name: String
    public var receiveInterval: Int?
    public var transmitInterval: Int?
    public var detectMultiplier: Int?
    public var echoInterval: Int?
    public var echoMode: Bool?
    public var passiveMode: Bool?
    public var minimumTtl: Int?
    public var origin: Origin

    public init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// A `Community` (metallb.io/v1beta1): names for community values, which advertisements may use instead of the
/// values; or a legacy ConfigMap's `bgp-communities`.
public struct Community: Sendable, Equatable {
    public struct Alias: Sendable, Equatable {
        public var name: String
        /// `a:b` or `large:a:b:c`.
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var name: String
    /// In the origin, alias `i` is the field `communities[i]`.
    public var communities: [Alias] = []
    public var origin: Origin

    public init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// A Secret (v1) with a `password` key, as a BGPPeer's `passwordSecret` names it (MetalLB wants type
/// `kubernetes.io/basic-auth`). Its description never shows the password.
public struct BGPPasswordSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var namespace: String?
    public var name: String
    /// The `password` key, decoded; nil when the Secret has none.
    public var password: String?
    public var origin: Origin

    public init(namespace: String?, name: String, password: String?, origin: Origin) {
        self.namespace = namespace
        self.name = name
        self.password = password
        self.origin = origin
    }

    /// Whether `reference` names this Secret (a reference without a namespace names it in any namespace).
    public func matches(_ reference: SecretReference) -> Bool {
        name == reference.name && (reference.namespace == nil || reference.namespace == namespace)
    }

    public var description: String { "Secret \(namespace.map { "\($0)/" } ?? "")\(name)" }
    public var debugDescription: String { description }
}

/// Every MetalLB object of the input, by kind, in the order read.
public struct MetalLBConfiguration: Sendable, Equatable {
    public var pools: [IPAddressPool] = []
    public var l2Advertisements: [L2Advertisement] = []
    public var bgpAdvertisements: [BGPAdvertisement] = []
    public var peers: [BGPPeer] = []
    public var bfdProfiles: [BFDProfile] = []
    public var communities: [Community] = []
    /// Secrets given with the objects, which `passwordSecret`s may name.
    public var secrets: [BGPPasswordSecret] = []

    public init() {}

    /// Adds the objects of `other` (another file).
    public mutating func append(_ other: Self) {
        pools += other.pools
        l2Advertisements += other.l2Advertisements
        bgpAdvertisements += other.bgpAdvertisements
        peers += other.peers
        bfdProfiles += other.bfdProfiles
        communities += other.communities
        secrets += other.secrets
    }
}
