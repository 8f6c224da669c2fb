import HeraldConfigModel
import HeraldCore

/// What MetalLB's configuration becomes in Herald: `herald.yaml`'s pools and advertisements, the plugin instances they
/// announce through, the password files the BGP peers need, and everything that could not be expressed.
public struct Conversion: Sendable, Equatable {
    public var configuration: HeraldConfiguration
    public var plugins: [PluginInstance]
    /// Passwords written in the input (`BGPPeer.spec.password`), to be written to `path` with mode 0600.
    public var passwordFiles: [PasswordFile]
    /// Errors (the input is not valid MetalLB configuration, nothing should be written) and warnings (what the
    /// configuration leaves out, and why), sorted by place.
    public var diagnostics: [Diagnostic]

    public init(
        configuration: HeraldConfiguration = .init(), plugins: [PluginInstance] = [],
        passwordFiles: [PasswordFile] = [],
        diagnostics: [Diagnostic] = []
    ) {
        self.configuration = configuration
        self.plugins = plugins
        self.passwordFiles = passwordFiles
        self.diagnostics = diagnostics
    }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
}

/// A plugins.d instance the converted advertisements name.
public struct PluginInstance: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Layer 2 for IPv4 (`herald-arp`), with the plugin's defaults.
        case arp
        /// Layer 2 for IPv6 (`herald-ndp`), with the plugin's defaults.
        case ndp
        case bgp(BGPSpeakerConfig)
    }

    public var name: String
    public var kind: Kind

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    public var library: String {
        switch kind {
        case .arp: "herald-arp"
        case .ndp: "herald-ndp"
        case .bgp: "herald-bgp"
        }
    }
}

/// The `config` of a `herald-bgp` instance: one local AS and router ID, and its peers.
public struct BGPSpeakerConfig: Sendable, Equatable {
    public var myASN: UInt32
    public var routerID: String?
    public var peers: [BGPSpeakerPeer]
    /// The BFD profiles its peers name (MetalLB's `BFDProfile`s, which the plugin takes field for field).
    public var bfdProfiles: [BFDSpeakerProfile] = []

    public init(myASN: UInt32, routerID: String?, peers: [BGPSpeakerPeer] = []) {
        self.myASN = myASN
        self.routerID = routerID
        self.peers = peers
    }
}

/// One entry of a `herald-bgp` instance's `peers`. Nil fields are left to the plugin's defaults.
public struct BGPSpeakerPeer: Sendable, Equatable {
    /// The MetalLB peer it comes from and where: `BGPPeer "router1" (metallb.yaml:12:1)`.
    public var source: String
    public var address: String
    public var asn: UInt32
    public var port: Int?
    /// Seconds.
    public var holdTime: Int?
    public var keepaliveTime: Int?
    public var passwordFile: String?
    /// What to put in `passwordFile` when the conversion could not (a Secret it cannot read).
    public var passwordNote: String?
    /// The TTL towards an eBGP peer.
    public var ebgpMultiHop: Int?
    public var sourceAddress: String?
    public var vrf: String?
    /// `ipv4`, `ipv6`; nil: the family of `address`.
    public var families: [String]?
    public var nodeSelectors: [LabelSelector] = []
    public var gracefulRestart = false
    /// The name of an entry of the instance's `bfdProfiles`.
    public var bfdProfile: String?
    /// The MetalLB BGPPeer's name (what a ServiceBGPStatus lists); not part of the plugin's configuration.
    public var name: String?

    public init(source: String, address: String, asn: UInt32) {
        self.source = source
        self.address = address
        self.asn = asn
    }
}

/// One entry of a `herald-bgp` instance's `bfdProfiles`: MetalLB's `BFDProfile` fields (milliseconds); nil fields are
/// left to the plugin's defaults, which are MetalLB's.
public struct BFDSpeakerProfile: Sendable, Equatable {
    public var name: String
    public var receiveInterval: Int?
    public var transmitInterval: Int?
    public var detectMultiplier: Int?
    public var passiveMode: Bool?
    public var minimumTtl: Int?

    public init(name: String) { self.name = name }
}

/// A BGP password the conversion knows, for a file only its owner may read. Its description never shows the password.
public struct PasswordFile: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var path: String
    public var password: String
    /// The MetalLB peer it belongs to (`BGPPeer "router1"`).
    public var peer: String
    /// Where the password is written in the input.
    public var location: SourceLocation

    public init(path: String, password: String, peer: String, location: SourceLocation) {
        self.path = path
        self.password = password
        self.peer = peer
        self.location = location
    }

    public var description: String { "the password of \(peer) (\(path))" }
    public var debugDescription: String { description }
}
