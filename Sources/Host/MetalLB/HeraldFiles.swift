import HeraldConfigModel
import HeraldCore
import HeraldJSON

/// A conversion as the files Herald reads: `herald.yaml` and `plugins.d/NAME.yaml`. Pure text; what is not converted
/// is listed as comments at the top of `herald.yaml`.
package enum HeraldFiles {
    package struct File: Sendable, Equatable {
        /// Relative to the output folder: `herald.yaml`, `plugins.d/bgp.yaml`.
        package var path: String
        package var text: String
    }

    /// - Parameter sources: the input files, named in the header.
    package static func render(_ conversion: Conversion, sources: [String]) -> [File] {
        [File(path: "herald.yaml", text: configuration(conversion, sources: sources))]
            + conversion.plugins.map { File(path: "plugins.d/\($0.name).yaml", text: plugin($0)) }
    }

    static func configuration(_ conversion: Conversion, sources: [String]) -> String {
        var out = "# Converted from MetalLB's configuration by herald convert"
        out += sources.isEmpty ? ".\n" : " (\(sources.joined(separator: ", "))).\n"
        let warnings = conversion.warnings
        if warnings.isEmpty {
            out += "# Every field was converted.\n"
        } else {
            out += "# Not converted:\n"
            for warning in warnings { out += "#   \(oneLine(warning.description))\n" }
        }
        let config = conversion.configuration
        out += "apiVersion: \(HeraldConfiguration.apiVersion)\nkind: \(HeraldConfiguration.kind)\n"
        out += config.pools.isEmpty ? "pools: []\n" : "pools:\n"
        for pool in config.pools {
            out += "  - name: \(quoted(pool.name))\n"
            out += "    addresses: \(list(pool.ranges.map(cidrOrRange)))\n"
            if !pool.autoAssign { out += "    autoAssign: false\n" }
            if pool.avoidBuggyIPs { out += "    avoidBuggyIPs: true\n" }
            if let allocation = pool.serviceAllocation, allocation != ServiceAllocation() {
                out += "    serviceAllocation:\n"
                if let priority = allocation.priority { out += "      priority: \(priority)\n" }
                if !allocation.namespaces.isEmpty { out += "      namespaces: \(list(allocation.namespaces))\n" }
                if !allocation.namespaceSelectors.isEmpty {
                    out += "      namespaceSelectors: \(selectors(allocation.namespaceSelectors))\n"
                }
                if !allocation.serviceSelectors.isEmpty {
                    out += "      serviceSelectors: \(selectors(allocation.serviceSelectors))\n"
                }
            }
        }
        out += config.advertisements.isEmpty ? "advertisements: []\n" : "advertisements:\n"
        for ad in config.advertisements {
            out += "  - name: \(quoted(ad.name))\n"
            out += "    plugin: \(quoted(ad.plugin))\n"
            if !ad.pools.isEmpty { out += "    pools: \(list(ad.pools))\n" }
            if !ad.nodeSelectors.isEmpty { out += "    nodeSelectors: \(selectors(ad.nodeSelectors))\n" }
            if let length = ad.aggregationLength { out += "    aggregationLength: \(length)\n" }
            if let length = ad.aggregationLengthV6 { out += "    aggregationLengthV6: \(length)\n" }
            // JSON is YAML: the attributes are written as the plugins get them.
            if ad.attributesJSON != "{}" { out += "    attributes: \(ad.attributesJSON)\n" }
        }
        return out
    }

    static func plugin(_ instance: PluginInstance) -> String {
        var out: String
        switch instance.kind {
        case .arp:
            out = "# Layer 2 mode for IPv4 (MetalLB's L2Advertisements). Needs CAP_NET_RAW.\n"
        case .ndp:
            out = "# Layer 2 mode for IPv6 (MetalLB's L2Advertisements). Needs CAP_NET_RAW.\n"
        case .bgp:
            out = "# BGP mode (MetalLB's BGPPeers and BGPAdvertisements).\n"
        }
        out += "apiVersion: \(HeraldConfiguration.apiVersion)\nkind: PluginInstance\n"
        out += "name: \(quoted(instance.name))\nlibrary: \(instance.library)\n"
        guard case .bgp(let speaker) = instance.kind else {
            // Interfaces: the plugin's automatic selection, as MetalLB's speaker uses every suitable interface.
            return out + "config: {}\n"
        }
        out += "config:\n  myASN: \(speaker.myASN)\n"
        if let routerID = speaker.routerID { out += "  routerID: \(quoted(routerID))\n" }
        out += speaker.peers.isEmpty ? "  peers: []\n" : "  peers:\n"
        for peer in speaker.peers {
            out += "    # \(oneLine(peer.source))\n"
            out += "    - address: \(quoted(peer.address))\n"
            out += "      asn: \(peer.asn)\n"
            if let port = peer.port { out += "      port: \(port)\n" }
            if let hold = peer.holdTime { out += "      holdTime: \(hold)\n" }
            if let keepalive = peer.keepaliveTime { out += "      keepaliveTime: \(keepalive)\n" }
            if let note = peer.passwordNote {
                out += "      # passwordFile: write \(oneLine(note)) to this file, mode 0600\n"
            }
            if let file = peer.passwordFile { out += "      passwordFile: \(quoted(file))\n" }
            if let hops = peer.ebgpMultiHop { out += "      ebgpMultiHop: \(hops)\n" }
            if let source = peer.sourceAddress { out += "      sourceAddress: \(quoted(source))\n" }
            if let vrf = peer.vrf { out += "      vrf: \(quoted(vrf))\n" }
            if let families = peer.families { out += "      families: \(list(families))\n" }
            if !peer.nodeSelectors.isEmpty { out += "      nodeSelectors: \(selectors(peer.nodeSelectors))\n" }
            if peer.gracefulRestart { out += "      gracefulRestart: true\n" }
            if let profile = peer.bfdProfile { out += "      bfdProfile: \(quoted(profile))\n" }
        }
        if !speaker.bfdProfiles.isEmpty { out += "  bfdProfiles:\n" }
        for profile in speaker.bfdProfiles {
            out += "    - name: \(quoted(profile.name))\n"
            if let value = profile.receiveInterval { out += "      receiveInterval: \(value)\n" }
            if let value = profile.transmitInterval { out += "      transmitInterval: \(value)\n" }
            if let value = profile.detectMultiplier { out += "      detectMultiplier: \(value)\n" }
            if let value = profile.passiveMode { out += "      passiveMode: \(value)\n" }
            if let value = profile.minimumTtl { out += "      minimumTtl: \(value)\n" }
        }
        return out
    }

    /// A range as a CIDR when it is exactly one.
    static func cidrOrRange(_ range: IPRange) -> String {
        for length in 0...range.lower.family.bitWidth {
            if let prefix = IPPrefix(network: range.lower, length: length), prefix.range == range {
                return prefix.description
            }
        }
        return range.description
    }

    static func quoted(_ text: String) -> String { JSONString.quoted(text) }

    static func list(_ items: [String]) -> String { "[" + items.map(quoted).joined(separator: ", ") + "]" }

    static func selectors(_ selectors: [LabelSelector]) -> String {
        "[" + selectors.map(selector).joined(separator: ", ") + "]"
    }

    static func selector(_ selector: LabelSelector) -> String {
        var parts: [String] = []
        if !selector.matchLabels.isEmpty {
            let labels = selector.matchLabels.sorted { $0.key < $1.key }.map {
                "\(quoted($0.key)): \(quoted($0.value))"
            }
            parts.append("matchLabels: {\(labels.joined(separator: ", "))}")
        }
        if !selector.matchExpressions.isEmpty {
            let expressions = selector.matchExpressions.map { e in
                "{key: \(quoted(e.key)), operator: \(e.op.rawValue)"
                    + (e.values.isEmpty ? "" : ", values: \(list(e.values))") + "}"
            }
            parts.append("matchExpressions: [\(expressions.joined(separator: ", "))]")
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    /// Text for a comment: line ends would end it.
    static func oneLine(_ text: String) -> String {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).joined(separator: " ")
    }
}
