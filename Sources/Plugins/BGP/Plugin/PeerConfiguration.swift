import HeraldBGP
import PluginKit

/// One entry of `config.peers`. See `BGPConfiguration` for the keys.
struct PeerConfiguration: Decodable, Sendable, Equatable {
    var address: String
    var addressBytes: [UInt8]
    var asn: UInt32
    var port: UInt16
    var holdTime: UInt16
    var keepaliveTime: UInt16?
    var passwordFile: String?
    var ebgpMultiHop: UInt8?
    var sourceAddress: String?
    var sourceBytes: [UInt8]?
    var vrf: String?
    var families: [AddressFamily]
    var nodeSelectors: [NodeSelector]
    var gracefulRestart: Bool
    /// How long the peer keeps our routes as stale after the connection drops (RFC 4724 Restart Time, seconds).
    var gracefulRestartTime: UInt16
    var passive: Bool
    /// The name of a `config.bfdProfiles` entry: the session is watched by BFD, and ends as soon as BFD says the
    /// path is down.
    var bfdProfile: String?

    /// BFD runs multihop (RFC 5883, port 4784) towards a peer more than one hop away (`ebgpMultiHop` above 1), else
    /// single hop (RFC 5881, port 3784, TTL 255).
    var bfdMultihop: Bool { (ebgpMultiHop ?? 1) > 1 }

    static let keys: Set<String> = [
        "address", "asn", "port", "holdTime", "keepaliveTime", "passwordFile", "ebgpMultiHop", "sourceAddress", "vrf",
        "families", "nodeSelectors", "gracefulRestart", "gracefulRestartTime", "passive", "bfdProfile",
    ]

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(Self.keys)
        let at = "config." + configPath(decoder.codingPath)
        let c = try decoder.container(keyedBy: AnyKey.self)
        func key(_ name: String) -> AnyKey { AnyKey(stringValue: name) }
        address = try c.decode(String.self, forKey: key("address"))
        guard let bytes = parseAddress(address) else {
            throw PluginError(.config, "\(at).address: \"\(address)\" is not an IPv4 or IPv6 address")
        }
        addressBytes = bytes
        let asnValue = try c.decode(Int64.self, forKey: key("asn"))
        guard (1...4_294_967_295).contains(asnValue) else {
            throw PluginError(.config, "\(at).asn: \(asnValue) is not within 1...4294967295")
        }
        asn = UInt32(asnValue)
        let portValue = try c.decodeIfPresent(Int.self, forKey: key("port")) ?? 179
        guard (1...65535).contains(portValue) else {
            throw PluginError(.config, "\(at).port: \(portValue) is not within 1...65535")
        }
        port = UInt16(portValue)
        let hold = try c.decodeIfPresent(Int.self, forKey: key("holdTime")) ?? 90
        // RFC 4271 section 4.2: zero, or at least three seconds.
        guard hold == 0 || (3...65535).contains(hold) else {
            throw PluginError(.config, "\(at).holdTime: \(hold) must be 0 or within 3...65535 seconds")
        }
        holdTime = UInt16(hold)
        if let keepalive = try c.decodeIfPresent(Int.self, forKey: key("keepaliveTime")) {
            guard (1...21845).contains(keepalive), hold == 0 || keepalive <= hold / 3 else {
                throw PluginError(
                    .config, "\(at).keepaliveTime: \(keepalive) must be at least 1 and at most holdTime / 3")
            }
            keepaliveTime = UInt16(keepalive)
        }
        passwordFile = try c.decodeIfPresent(String.self, forKey: key("passwordFile"))
        if let passwordFile, !passwordFile.hasPrefix("/") {
            throw PluginError(.config, "\(at).passwordFile: \"\(passwordFile)\" must be an absolute path")
        }
        if let hops = try c.decodeIfPresent(Int.self, forKey: key("ebgpMultiHop")) {
            guard (1...255).contains(hops) else {
                throw PluginError(.config, "\(at).ebgpMultiHop: \(hops) is not within 1...255")
            }
            ebgpMultiHop = UInt8(hops)
        }
        sourceAddress = try c.decodeIfPresent(String.self, forKey: key("sourceAddress"))
        if let sourceAddress {
            guard let source = parseAddress(sourceAddress), source.count == bytes.count else {
                throw PluginError(
                    .config,
                    "\(at).sourceAddress: \"\(sourceAddress)\" is not an address of the same family as the peer")
            }
            sourceBytes = source
        }
        vrf = try c.decodeIfPresent(String.self, forKey: key("vrf"))
        if let vrf, vrf.isEmpty || vrf.utf8.count > 15 || vrf.contains("/") {
            throw PluginError(.config, "\(at).vrf: \"\(vrf)\" is not a network device name")
        }
        let familyNames = try c.decodeIfPresent([String].self, forKey: key("families"))
        families = []
        for name in familyNames ?? [bytes.count == 4 ? "ipv4" : "ipv6"] {
            switch name {
            case "ipv4", "ipv4-unicast": families.append(.ipv4Unicast)
            case "ipv6", "ipv6-unicast": families.append(.ipv6Unicast)
            default: throw PluginError(.config, "\(at).families: \"\(name)\" is not ipv4 or ipv6")
            }
        }
        if families.isEmpty { throw PluginError(.config, "\(at).families: the list is empty") }
        nodeSelectors = try c.decodeIfPresent([NodeSelector].self, forKey: key("nodeSelectors")) ?? []
        gracefulRestart = try c.decodeIfPresent(Bool.self, forKey: key("gracefulRestart")) ?? false
        let restartTime = try c.decodeIfPresent(Int.self, forKey: key("gracefulRestartTime"))
        if let restartTime {
            // The Restart Time field has 12 bits (RFC 4724 section 3).
            guard (1...4095).contains(restartTime) else {
                throw PluginError(.config, "\(at).gracefulRestartTime: \(restartTime) is not within 1...4095 seconds")
            }
            guard gracefulRestart else {
                throw PluginError(.config, "\(at).gracefulRestartTime: needs gracefulRestart: true")
            }
        }
        gracefulRestartTime = UInt16(restartTime ?? 120)
        passive = try c.decodeIfPresent(Bool.self, forKey: key("passive")) ?? false
        bfdProfile = try c.decodeIfPresent(String.self, forKey: key("bfdProfile"))
    }

    /// A peer applies to a node when it has no selectors or any selector matches (Kubernetes `nodeSelectors`).
    func selects(_ labels: [String: String]) -> Bool {
        nodeSelectors.isEmpty || nodeSelectors.contains { $0.matches(labels) }
    }

    /// The peer as text with its port: `198.51.100.1` or `[2001:db8::1]:1179`.
    var label: String { address }
}

/// An IPv4 or IPv6 address's bytes in network order (4 or 16), or nil when the text is neither.
private func parseAddress(_ text: String) -> [UInt8]? { IPv4Address(text)?.bytes ?? IPv6Address(text)?.bytes }
