import HeraldBGP
import PluginKit

/// The `config` of a `bgp` instance (plugins.d):
///
/// ```yaml
/// config:
///   myASN: 64512                   # required, 1...4294967295
///   routerID: 198.51.100.11        # default: the node's first IPv4 address
///   listenPort: 179                # for passive peers
///   peers:
///     - address: 198.51.100.1      # required
///       asn: 64513                 # required; equal to myASN for iBGP
///       port: 179
///       holdTime: 90               # seconds, 0 or 3...65535
///       keepaliveTime: 30          # default holdTime / 3
///       passwordFile: /etc/herald/bgp-r1.password   # TCP MD5 (RFC 2385)
///       ebgpMultiHop: 2            # TTL towards an eBGP peer (default 1; iBGP 64)
///       sourceAddress: 198.51.100.11
///       vrf: eth1                  # bind the session socket to this device (SO_BINDTODEVICE)
///       families: [ipv4, ipv6]     # default: the peer address's family
///       nodeSelectors: [{matchLabels: {rack: r1}}]
///       gracefulRestart: true      # advertise Graceful Restart (RFC 4724)
///       gracefulRestartTime: 120   # seconds, 1...4095: how long the peer keeps the routes as stale
///       passive: false             # wait for the peer to connect
///       bfdProfile: fast           # watch the path with BFD (a `bfdProfiles` entry)
/// bfdProfiles:                     # see `BFDProfile`
///   - {name: fast, receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3}
/// ```
public struct BGPConfiguration: Decodable, Sendable {
    var myASN: UInt32
    var routerID: String?
    var listenPort: UInt16
    var peers: [PeerConfiguration]
    var bfdProfiles: [BFDProfile]

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["myASN", "routerID", "listenPort", "peers", "bfdProfiles"])
        let c = try decoder.container(keyedBy: AnyKey.self)
        let asn = try c.decode(Int64.self, forKey: AnyKey(stringValue: "myASN"))
        guard (1...4_294_967_295).contains(asn) else {
            throw PluginError(.config, "config.myASN: \(asn) is not within 1...4294967295")
        }
        myASN = UInt32(asn)
        routerID = try c.decodeIfPresent(String.self, forKey: AnyKey(stringValue: "routerID"))
        if let routerID {
            guard let address = IPv4Address(routerID), address != .unspecified else {
                throw PluginError(.config, "config.routerID: \"\(routerID)\" is not a non-zero IPv4 address")
            }
        }
        let port = try c.decodeIfPresent(Int.self, forKey: AnyKey(stringValue: "listenPort")) ?? 179
        guard (1...65535).contains(port) else {
            throw PluginError(.config, "config.listenPort: \(port) is not within 1...65535")
        }
        listenPort = UInt16(port)
        peers = try c.decodeIfPresent([PeerConfiguration].self, forKey: AnyKey(stringValue: "peers")) ?? []
        var seen: Set<String> = []
        for (index, peer) in peers.enumerated() where !seen.insert(addressKey(peer.addressBytes)).inserted {
            throw PluginError(.config, "config.peers[\(index)].address: \(peer.address) is listed twice")
        }
        bfdProfiles = try c.decodeIfPresent([BFDProfile].self, forKey: AnyKey(stringValue: "bfdProfiles")) ?? []
        var names: Set<String> = []
        for (index, profile) in bfdProfiles.enumerated() where !names.insert(profile.name).inserted {
            throw PluginError(.config, "config.bfdProfiles[\(index)].name: \"\(profile.name)\" is defined twice")
        }
        for (index, peer) in peers.enumerated() {
            guard let name = peer.bfdProfile, !names.contains(name) else { continue }
            let known = names.isEmpty ? "none is defined" : "defined: \(names.sorted().joined(separator: ", "))"
            throw PluginError(
                .config,
                "config.peers[\(index)].bfdProfile: no entry of config.bfdProfiles is named \"\(name)\" (\(known))")
        }
    }

    func bfdProfile(named name: String) -> BFDProfile? { bfdProfiles.first { $0.name == name } }

    /// The BGP Identifier: `routerID`, else the node's first IPv4 address.
    func identifier(node: NodeInfo) throws -> UInt32 {
        let candidates = (routerID.map { [$0] } ?? []) + node.addresses
        for text in candidates {
            if let address = IPv4Address(text), address != .unspecified { return address.value }
        }
        throw PluginError(.config, "config.routerID: required, since the node has no IPv4 address")
    }
}

private func addressKey(_ bytes: [UInt8]) -> String { bytes.map(String.init).joined(separator: ".") }
