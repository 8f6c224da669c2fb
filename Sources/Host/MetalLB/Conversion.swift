import HeraldConfigModel
import HeraldCore

/// What MetalLB's configuration becomes in Herald: `herald.yaml`'s pools and advertisements, the plugin instances they
/// announce through, the password files the BGP peers need, and everything that could not be expressed.
package struct Conversion: Sendable, Equatable {
    package var configuration: HeraldConfiguration
    package var plugins: [PluginInstance]
    /// Passwords written in the input (`BGPPeer.spec.password`), to be written to `path` with mode 0600.
    package var passwordFiles: [PasswordFile]
    /// Errors (the input is not valid MetalLB configuration, nothing should be written) and warnings (what the
    /// configuration leaves out, and why), sorted by place.
    package var diagnostics: [Diagnostic]

    package init(
        configuration: HeraldConfiguration = .init(), plugins: [PluginInstance] = [],
        passwordFiles: [PasswordFile] = [],
        diagnostics: [Diagnostic] = []
    ) {
        self.configuration = configuration
        self.plugins = plugins
        self.passwordFiles = passwordFiles
        self.diagnostics = diagnostics
    }

    package var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    package var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
}

/// A plugins.d instance the converted advertisements name.
package struct PluginInstance: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// Layer 2 for IPv4 (`herald-arp`), with the plugin's defaults.
        case arp
        /// Layer 2 for IPv6 (`herald-ndp`), with the plugin's defaults.
        case ndp
        case bgp(BGPSpeakerConfig)
    }

    package var name: String
    package var kind: Kind

    package init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    package var library: String {
        switch kind {
        case .arp: "herald-arp"
        case .ndp: "herald-ndp"
        case .bgp: "herald-bgp"
        }
    }
}

/// The `config` of a `herald-bgp` instance: one local AS and router ID, and its peers.
package struct BGPSpeakerConfig: Sendable, Equatable {
    package var myASN: UInt32
    package var routerID: String?
    package var peers: [BGPSpeakerPeer]
    /// The BFD profiles its peers name (MetalLB's `BFDProfile`s, which the plugin takes field for field).
    package var bfdProfiles: [BFDSpeakerProfile] = []

    package init(myASN: UInt32, routerID: String?, peers: [BGPSpeakerPeer] = []) {
        self.myASN = myASN
        self.routerID = routerID
        self.peers = peers
    }
}

/// One entry of a `herald-bgp` instance's `peers`. Nil fields are left to the plugin's defaults.
package struct BGPSpeakerPeer: Sendable, Equatable {
    /// The MetalLB peer it comes from and where: `BGPPeer "router1" (metallb.yaml:12:1)`.
    package var source: String
    package var address: String
    package var asn: UInt32
    package var port: Int?
    /// Seconds.
    package var holdTime: Int?
    package var keepaliveTime: Int?
    package var passwordFile: String?
    /// What to put in `passwordFile` when the conversion could not (a Secret it cannot read).
    package var passwordNote: String?
    /// The TTL towards an eBGP peer.
    package var ebgpMultiHop: Int?
    package var sourceAddress: String?
    package var vrf: String?
    /// `ipv4`, `ipv6`; nil: the family of `address`.
    package var families: [String]?
    package var nodeSelectors: [LabelSelector] = []
    package var gracefulRestart = false
    /// The name of an entry of the instance's `bfdProfiles`.
    package var bfdProfile: String?
    /// The MetalLB BGPPeer's name (what a ServiceBGPStatus lists); not part of the plugin's configuration.
    package var name: String?

    package init(source: String, address: String, asn: UInt32) {
        self.source = source
        self.address = address
        self.asn = asn
    }
}

/// One entry of a `herald-bgp` instance's `bfdProfiles`: MetalLB's `BFDProfile` fields (milliseconds); nil fields are
/// left to the plugin's defaults, which are MetalLB's.
package struct BFDSpeakerProfile: Sendable, Equatable {
    package var name: String
    package var receiveInterval: Int?
    package var transmitInterval: Int?
    package var detectMultiplier: Int?
    package var passiveMode: Bool?
    package var minimumTtl: Int?

    package init(name: String) { self.name = name }
}

/// A BGP password the conversion knows, for a file only its owner may read. Its description never shows the password.
package struct PasswordFile: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    package var path: String
    package var password: String
    /// The MetalLB peer it belongs to (`BGPPeer "router1"`).
    package var peer: String
    /// Where the password is written in the input.
    package var location: SourceLocation

    package init(path: String, password: String, peer: String, location: SourceLocation) {
        self.path = path
        self.password = password
        self.peer = peer
        self.location = location
    }

    package var description: String { "the password of \(peer) (\(path))" }
    package var debugDescription: String { description }
}
