import HeraldConfigModel
import HeraldCore

/// Where a MetalLB object was read from and where each of its fields is written, so that whatever the translation
/// says about a field points at it.
package struct Origin: Sendable, Equatable {
    /// One field as written in the input.
    package struct Field: Sendable, Equatable {
        /// How the input spells it: `spec.holdTime`, or `peers[0].hold-time` in a legacy ConfigMap.
        package var path: String
        package var location: SourceLocation

        package init(path: String, location: SourceLocation) {
            self.path = path
            self.location = location
        }
    }

    /// How messages name the object: `BGPPeer "router1"`, `ConfigMap "metallb-system/config"`.
    package var object: String
    package var location: SourceLocation
    /// By the field's name in MetalLB's custom resources (`holdTime`, `communities[1]`), whatever the input's
    /// spelling.
    package var fields: [String: Field]

    package init(object: String, location: SourceLocation, fields: [String: Field] = [:]) {
        self.object = object
        self.location = location
        self.fields = fields
    }

    /// Where `name` is written, or the object itself when it is not (a default, an object from a cluster).
    package func field(_ name: String) -> Field { fields[name] ?? Field(path: name, location: location) }
}

/// An `IPAddressPool` (metallb.io/v1beta1), or an `address-pools` entry of a legacy ConfigMap.
package struct IPAddressPool: Sendable, Equatable {
    package var name: String
    /// `metadata.labels`, which advertisements' `ipAddressPoolSelectors` match.
    package var labels: [String: String] = [:]
    /// CIDRs, `a-b` ranges or single addresses, as written.
    package var addresses: [String] = []
    package var autoAssign = true
    package var avoidBuggyIPs = false
    package var serviceAllocation: ServiceAllocation?
    package var origin: Origin

    package init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// Which pools an advertisement covers: named ones and those whose labels match a selector; neither means every
/// pool.
package struct PoolSelection: Sendable, Equatable {
    package var names: [String] = []
    package var selectors: [LabelSelector] = []

    package init(names: [String] = [], selectors: [LabelSelector] = []) {
        self.names = names
        self.selectors = selectors
    }
}

/// An `L2Advertisement` (metallb.io/v1beta1).
package struct L2Advertisement: Sendable, Equatable {
    package var name: String
    package var pools = PoolSelection()
    package var nodeSelectors: [LabelSelector] = []
    package var interfaces: [String] = []
    package var serviceSelectors: [LabelSelector] = []
    package var preferredNodeSelectors: [LabelSelector] = []
    package var origin: Origin

    package init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// A `BGPAdvertisement` (metallb.io/v1beta1), or a `bgp-advertisements` entry of a legacy ConfigMap pool.
package struct BGPAdvertisement: Sendable, Equatable {
    package var name: String
    /// nil: MetalLB's default, the host route (32 and 128).
    package var aggregationLength: Int?
    package var aggregationLengthV6: Int?
    package var localPref: UInt32?
    /// `a:b`, `large:a:b:c`, a well-known name (`no-export`) or the name of a ``Community`` alias.
    package var communities: [String] = []
    package var pools = PoolSelection()
    package var nodeSelectors: [LabelSelector] = []
    /// Names of the ``BGPPeer``s to announce to; empty: every peer.
    package var peers: [String] = []
    package var serviceSelectors: [LabelSelector] = []
    package var origin: Origin

    package init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// A reference to a Secret (`BGPPeer.spec.passwordSecret`).
package struct SecretReference: Sendable, Equatable, CustomStringConvertible {
    package var namespace: String?
    package var name: String

    package init(namespace: String?, name: String) {
        self.namespace = namespace
        self.name = name
    }

    package var description: String { namespace.map { "\($0)/\(name)" } ?? name }
}

/// A `BGPPeer` (metallb.io/v1beta2 or v1beta1), or a `peers` entry of a legacy ConfigMap.
package struct BGPPeer: Sendable, Equatable {
    package var name: String
    package var myASN: UInt32
    package var peerASN: UInt32?
    /// `internal` or `external`: the peer's AS is learnt from its OPEN.
    package var dynamicASN: String?
    package var peerAddress: String?
    /// BGP unnumbered: the session runs over this interface's link-local address.
    package var interface: String?
    package var sourceAddress: String?
    package var peerPort: Int?
    package var holdTime: Duration?
    package var keepaliveTime: Duration?
    package var connectTime: Duration?
    package var routerID: String?
    package var nodeSelectors: [LabelSelector] = []
    /// The TCP MD5 password, written in the object. Never printed.
    package var password: String?
    package var passwordSecret: SecretReference?
    package var bfdProfile: String?
    package var enableGracefulRestart = false
    package var ebgpMultiHop = false
    package var vrf: String?
    /// nil when not written: MetalLB before 0.14 read its absence as false.
    package var disableMP: Bool?
    package var dualStackAddressFamily = false
    package var origin: Origin

    package init(name: String, myASN: UInt32, origin: Origin) {
        self.name = name
        self.myASN = myASN
        self.origin = origin
    }
}

/// A `BFDProfile` (metallb.io/v1beta1). Intervals in milliseconds.
package struct BFDProfile: Sendable, Equatable {
    package var name: String
    package var receiveInterval: Int?
    package var transmitInterval: Int?
    package var detectMultiplier: Int?
    package var echoInterval: Int?
    package var echoMode: Bool?
    package var passiveMode: Bool?
    package var minimumTtl: Int?
    package var origin: Origin

    package init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// A `Community` (metallb.io/v1beta1): names for community values, which advertisements may use instead of the
/// values; or a legacy ConfigMap's `bgp-communities`.
package struct Community: Sendable, Equatable {
    package struct Alias: Sendable, Equatable {
        package var name: String
        /// `a:b` or `large:a:b:c`.
        package var value: String

        package init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    package var name: String
    /// In the origin, alias `i` is the field `communities[i]`.
    package var communities: [Alias] = []
    package var origin: Origin

    package init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// A Secret (v1) with a `password` key, as a BGPPeer's `passwordSecret` names it (MetalLB wants type
/// `kubernetes.io/basic-auth`). Its description never shows the password.
package struct BGPPasswordSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    package var namespace: String?
    package var name: String
    /// The `password` key, decoded; nil when the Secret has none.
    package var password: String?
    package var origin: Origin

    package init(namespace: String?, name: String, password: String?, origin: Origin) {
        self.namespace = namespace
        self.name = name
        self.password = password
        self.origin = origin
    }

    /// Whether `reference` names this Secret (a reference without a namespace names it in any namespace).
    package func matches(_ reference: SecretReference) -> Bool {
        name == reference.name && (reference.namespace == nil || reference.namespace == namespace)
    }

    package var description: String { "Secret \(namespace.map { "\($0)/" } ?? "")\(name)" }
    package var debugDescription: String { description }
}

/// Every MetalLB object of the input, by kind, in the order read.
package struct MetalLBConfiguration: Sendable, Equatable {
    package var pools: [IPAddressPool] = []
    package var l2Advertisements: [L2Advertisement] = []
    package var bgpAdvertisements: [BGPAdvertisement] = []
    package var peers: [BGPPeer] = []
    package var bfdProfiles: [BFDProfile] = []
    package var communities: [Community] = []
    /// Secrets given with the objects, which `passwordSecret`s may name.
    package var secrets: [BGPPasswordSecret] = []

    package init() {}

    /// Adds the objects of `other` (another file).
    package mutating func append(_ other: Self) {
        pools += other.pools
        l2Advertisements += other.l2Advertisements
        bgpAdvertisements += other.bgpAdvertisements
        peers += other.peers
        bfdProfiles += other.bfdProfiles
        communities += other.communities
        secrets += other.secrets
    }
}
