import HeraldConfig
import HeraldConfigModel
import HeraldCore
import Yams

/// Reads MetalLB's configuration from manifest text: its custom resources (group `metallb.io`: IPAddressPool,
/// L2Advertisement, BGPAdvertisement, BGPPeer, BFDProfile, Community), in any number of documents and `List`s, and
/// the ConfigMap of MetalLB 0.12 and earlier (`data.config`). Pure: it is handed text, never a path to open.
///
/// Every problem comes with its file, line and column: errors (the input is not valid MetalLB configuration) and
/// warnings (something is left out: another kind of object, a field this reader does not know).
package enum MetalLBManifests {
    package static func parse(
        _ text: String, file: String
    ) -> (objects: MetalLBConfiguration, diagnostics: [Diagnostic]) {
        var decoder = ObjectDecoder(reader: YAMLReader(file: file), text: text)
        if let documents = decoder.reader.parseDocuments(text) {
            for document in documents { decoder.document(document) }
        }
        return (decoder.objects, decoder.diagnostics)
    }
}

/// Turns YAML nodes into MetalLB objects, recording in each object's ``Origin`` where its fields are written.
struct ObjectDecoder {
    var reader: YAMLReader
    /// The text the reader reads, to place the lines of a ConfigMap's embedded configuration in it.
    let text: String
    var objects = MetalLBConfiguration()
    /// The problems of embedded texts (legacy ConfigMaps), which readers of their own read.
    var embedded: [Diagnostic] = []

    var diagnostics: [Diagnostic] {
        (reader.diagnostics + reader.warnings + embedded).sorted { $0.location < $1.location }
    }

    /// Versions of each kind this reader knows the fields of.
    static let versions: [String: [String]] = [
        "IPAddressPool": ["v1beta1"], "L2Advertisement": ["v1beta1"], "BGPAdvertisement": ["v1beta1"],
        "BGPPeer": ["v1beta2", "v1beta1"], "BFDProfile": ["v1beta1"], "Community": ["v1beta1"],
    ]

    mutating func document(_ node: Node) {
        guard let mapping = node.mapping else {
            reader.error(node, "a manifest must be a mapping with apiVersion and kind, found \(reader.kind(of: node))")
            return
        }
        guard let kindNode = mapping["kind"] else {
            reader.error(node, "the document has no kind")
            return
        }
        guard let kind = reader.string(kindNode, path: "kind") else { return }
        let apiVersion = mapping["apiVersion"]?.scalar?.string ?? ""
        if kind == "List" {
            for item in reader.sequence(mapping["items"], path: "items") ?? [] { document(item) }
            return
        }
        if apiVersion.hasPrefix("metallb.io/") {
            let version = String(apiVersion.dropFirst("metallb.io/".count))
            guard let known = Self.versions[kind] else {
                reader.warn(
                    node, "\(kind) (\(apiVersion)) is not MetalLB configuration that herald convert reads; skipped")
                return
            }
            if !known.contains(version) {
                reader.warn(
                    mapping["apiVersion"],
                    "\(kind) \(apiVersion): herald convert knows \(known.map { "metallb.io/\($0)" }.joined(separator: " and "));"
                        + " read as \(known[0])")
            }
            switch kind {
            case "IPAddressPool": pool(node)
            case "L2Advertisement": l2Advertisement(node)
            case "BGPAdvertisement": bgpAdvertisement(node)
            case "BGPPeer": peer(node)
            case "BFDProfile": bfdProfile(node)
            default: community(node)
            }
        } else if kind == "ConfigMap" && apiVersion == "v1" {
            configMap(node)
        } else if kind == "Secret" && apiVersion == "v1" {
            secret(node)
        } else {
            let version = apiVersion.isEmpty ? "no apiVersion" : apiVersion
            reader.warn(node, "\(kind) (\(version)) is not MetalLB configuration; skipped")
        }
    }

    // MARK: Custom resources

    /// The name, labels and spec of a custom resource; nil (with an error) when it has no name.
    private mutating func header(_ node: Node, kind: String) -> (name: String, labels: [String: String], spec: Node?)? {
        let metadata = node.mapping?["metadata"]
        guard let metadata, metadata.mapping != nil else {
            reader.error(metadata ?? node, "\(kind): metadata must be a mapping with a name")
            return nil
        }
        guard let nameNode = metadata.mapping?["name"] else {
            reader.error(metadata, "\(kind): metadata.name is required")
            return nil
        }
        guard let name = reader.name(nameNode, path: "\(kind) metadata.name") else { return nil }
        let labels = reader.stringMap(metadata.mapping?["labels"], path: "metadata.labels") ?? [:]
        return (name, labels, node.mapping?["spec"])
    }

    private func makeOrigin(_ kind: String, _ name: String, _ node: Node) -> Origin {
        Origin(object: "\(kind) \"\(name)\"", location: reader.location(node))
    }

    mutating func pool(_ node: Node) {
        guard let h = header(node, kind: "IPAddressPool") else { return }
        var pool = IPAddressPool(name: h.name, origin: makeOrigin("IPAddressPool", h.name, node))
        pool.labels = h.labels
        let known = ["addresses", "autoAssign", "avoidBuggyIPs", "serviceAllocation"]
        let spec = fields(h.spec, path: "spec", known: known, origin: &pool.origin)
        if spec["addresses"] == nil {
            reader.error(h.spec ?? node, "\(pool.origin.object): spec.addresses is required")
        }
        pool.addresses = strings(spec["addresses"], path: "spec.addresses", field: "addresses", &pool.origin)
        if let v = reader.bool(spec["autoAssign"], path: "spec.autoAssign") { pool.autoAssign = v }
        if let v = reader.bool(spec["avoidBuggyIPs"], path: "spec.avoidBuggyIPs") { pool.avoidBuggyIPs = v }
        if let node = spec["serviceAllocation"] {
            let path = "spec.serviceAllocation"
            let known = ["priority", "namespaces", "namespaceSelectors", "serviceSelectors"]
            let f = fields(node, path: path, known: known, prefix: "serviceAllocation.", origin: &pool.origin)
            var allocation = ServiceAllocation()
            allocation.priority = reader.int(f["priority"], path: "\(path).priority", range: 0...Int(Int32.max))
            allocation.namespaces = strings(
                f["namespaces"], path: "\(path).namespaces", field: "serviceAllocation.namespaces", &pool.origin)
            allocation.namespaceSelectors = selectors(f["namespaceSelectors"], path: "\(path).namespaceSelectors")
            allocation.serviceSelectors = selectors(f["serviceSelectors"], path: "\(path).serviceSelectors")
            pool.serviceAllocation = allocation
        }
        objects.pools.append(pool)
    }

    private mutating func poolSelection(_ spec: [String: Node], _ origin: inout Origin) -> PoolSelection {
        PoolSelection(
            names: strings(spec["ipAddressPools"], path: "spec.ipAddressPools", field: "ipAddressPools", &origin),
            selectors: selectors(spec["ipAddressPoolSelectors"], path: "spec.ipAddressPoolSelectors"))
    }

    mutating func l2Advertisement(_ node: Node) {
        guard let h = header(node, kind: "L2Advertisement") else { return }
        var ad = L2Advertisement(name: h.name, origin: makeOrigin("L2Advertisement", h.name, node))
        let known = [
            "ipAddressPools", "ipAddressPoolSelectors", "nodeSelectors", "interfaces", "serviceSelectors",
            "preferredNodeSelectors",
        ]
        let spec = fields(h.spec, path: "spec", known: known, origin: &ad.origin)
        ad.pools = poolSelection(spec, &ad.origin)
        ad.nodeSelectors = selectors(spec["nodeSelectors"], path: "spec.nodeSelectors")
        ad.interfaces = strings(spec["interfaces"], path: "spec.interfaces", field: "interfaces", &ad.origin)
        ad.serviceSelectors = selectors(spec["serviceSelectors"], path: "spec.serviceSelectors")
        ad.preferredNodeSelectors = selectors(spec["preferredNodeSelectors"], path: "spec.preferredNodeSelectors")
        objects.l2Advertisements.append(ad)
    }

    mutating func bgpAdvertisement(_ node: Node) {
        guard let h = header(node, kind: "BGPAdvertisement") else { return }
        var ad = BGPAdvertisement(name: h.name, origin: makeOrigin("BGPAdvertisement", h.name, node))
        let known = [
            "aggregationLength", "aggregationLengthV6", "localPref", "communities", "ipAddressPools",
            "ipAddressPoolSelectors", "nodeSelectors", "peers", "serviceSelectors",
        ]
        let spec = fields(h.spec, path: "spec", known: known, origin: &ad.origin)
        ad.aggregationLength = reader.int(spec["aggregationLength"], path: "spec.aggregationLength", range: 0...32)
        ad.aggregationLengthV6 = reader.int(
            spec["aggregationLengthV6"], path: "spec.aggregationLengthV6", range: 0...128)
        ad.localPref = uint32(spec["localPref"], path: "spec.localPref", lowest: 0)
        ad.communities = strings(spec["communities"], path: "spec.communities", field: "communities", &ad.origin)
        ad.pools = poolSelection(spec, &ad.origin)
        ad.nodeSelectors = selectors(spec["nodeSelectors"], path: "spec.nodeSelectors")
        ad.peers = strings(spec["peers"], path: "spec.peers", field: "peers", &ad.origin)
        ad.serviceSelectors = selectors(spec["serviceSelectors"], path: "spec.serviceSelectors")
        objects.bgpAdvertisements.append(ad)
    }

    mutating func peer(_ node: Node) {
        guard let h = header(node, kind: "BGPPeer") else { return }
        var origin = makeOrigin("BGPPeer", h.name, node)
        let known = [
            "myASN", "peerASN", "dynamicASN", "peerAddress", "sourceAddress", "peerPort", "holdTime", "keepaliveTime",
            "connectTime", "routerID", "nodeSelectors", "password", "passwordSecret", "bfdProfile",
            "enableGracefulRestart", "ebgpMultiHop", "vrf", "interface", "disableMP", "dualStackAddressFamily",
        ]
        let spec = fields(h.spec, path: "spec", known: known, origin: &origin)
        guard spec["myASN"] != nil else {
            reader.error(h.spec ?? node, "\(origin.object): spec.myASN is required")
            return
        }
        guard let myASN = uint32(spec["myASN"], path: "spec.myASN", lowest: 1) else { return }
        var peer = BGPPeer(name: h.name, myASN: myASN, origin: origin)
        peer.peerASN = uint32(spec["peerASN"], path: "spec.peerASN", lowest: 1)
        peer.dynamicASN = reader.string(spec["dynamicASN"], path: "spec.dynamicASN")
        peer.peerAddress = reader.string(spec["peerAddress"], path: "spec.peerAddress")
        peer.sourceAddress = reader.string(spec["sourceAddress"], path: "spec.sourceAddress")
        peer.peerPort = reader.int(spec["peerPort"], path: "spec.peerPort", range: 1...65535)
        peer.holdTime = duration(spec["holdTime"], path: "spec.holdTime")
        peer.keepaliveTime = duration(spec["keepaliveTime"], path: "spec.keepaliveTime")
        peer.connectTime = duration(spec["connectTime"], path: "spec.connectTime")
        peer.routerID = reader.string(spec["routerID"], path: "spec.routerID")
        peer.nodeSelectors = selectors(spec["nodeSelectors"], path: "spec.nodeSelectors")
        peer.password = reader.string(spec["password"], path: "spec.password")
        if let secret = spec["passwordSecret"] {
            let f = fields(
                secret, path: "spec.passwordSecret", known: ["name", "namespace"], prefix: "passwordSecret.",
                origin: &peer.origin)
            if let name = reader.string(f["name"], path: "spec.passwordSecret.name") {
                peer.passwordSecret = SecretReference(
                    namespace: reader.string(f["namespace"], path: "spec.passwordSecret.namespace"), name: name)
            } else if f["name"] == nil {
                reader.error(secret, "\(origin.object): spec.passwordSecret.name is required")
            }
        }
        peer.bfdProfile = reader.string(spec["bfdProfile"], path: "spec.bfdProfile")
        peer.enableGracefulRestart =
            reader.bool(spec["enableGracefulRestart"], path: "spec.enableGracefulRestart") ?? false
        peer.ebgpMultiHop = reader.bool(spec["ebgpMultiHop"], path: "spec.ebgpMultiHop") ?? false
        peer.vrf = reader.string(spec["vrf"], path: "spec.vrf")
        peer.interface = reader.string(spec["interface"], path: "spec.interface")
        peer.disableMP = reader.bool(spec["disableMP"], path: "spec.disableMP")
        peer.dualStackAddressFamily =
            reader.bool(spec["dualStackAddressFamily"], path: "spec.dualStackAddressFamily") ?? false
        objects.peers.append(peer)
    }

    mutating func bfdProfile(_ node: Node) {
        guard let h = header(node, kind: "BFDProfile") else { return }
        var profile = BFDProfile(name: h.name, origin: makeOrigin("BFDProfile", h.name, node))
        let known = [
            "receiveInterval", "transmitInterval", "detectMultiplier", "echoInterval", "echoMode", "passiveMode",
            "minimumTtl",
        ]
        let spec = fields(h.spec, path: "spec", known: known, origin: &profile.origin)
        readBFD(&profile, spec, path: "spec", names: Dictionary(uniqueKeysWithValues: known.map { ($0, $0) }))
        objects.bfdProfiles.append(profile)
    }

    /// The BFD settings of `spec` (`names`: how the input spells each field).
    private mutating func readBFD(
        _ profile: inout BFDProfile, _ spec: [String: Node], path: String, names: [String: String]
    ) {
        func at(_ field: String) -> String { "\(path).\(names[field] ?? field)" }
        profile.receiveInterval = reader.int(spec["receiveInterval"], path: at("receiveInterval"), range: 10...60000)
        profile.transmitInterval = reader.int(
            spec["transmitInterval"], path: at("transmitInterval"), range: 10...60000)
        profile.detectMultiplier = reader.int(spec["detectMultiplier"], path: at("detectMultiplier"), range: 2...255)
        profile.echoInterval = reader.int(spec["echoInterval"], path: at("echoInterval"), range: 10...60000)
        profile.echoMode = reader.bool(spec["echoMode"], path: at("echoMode"))
        profile.passiveMode = reader.bool(spec["passiveMode"], path: at("passiveMode"))
        profile.minimumTtl = reader.int(spec["minimumTtl"], path: at("minimumTtl"), range: 1...254)
    }

    mutating func community(_ node: Node) {
        guard let h = header(node, kind: "Community") else { return }
        var community = Community(name: h.name, origin: makeOrigin("Community", h.name, node))
        let spec = fields(h.spec, path: "spec", known: ["communities"], origin: &community.origin)
        for (index, item) in (reader.sequence(spec["communities"], path: "spec.communities") ?? []).enumerated() {
            let path = "spec.communities[\(index)]"
            let f = fields(
                item, path: path, known: ["name", "value"], prefix: "communities[\(index)].",
                origin: &community.origin)
            community.origin.fields["communities[\(index)]"] = .init(path: path, location: reader.location(item))
            guard let name = reader.string(f["name"], path: "\(path).name"),
                let value = reader.string(f["value"], path: "\(path).value")
            else {
                if f["name"] == nil || f["value"] == nil {
                    reader.error(item, "\(community.origin.object): \(path) needs a name and a value")
                }
                continue
            }
            community.communities.append(.init(name: name, value: value))
        }
        objects.communities.append(community)
    }

    /// A Secret, for the `password` key a BGPPeer's `passwordSecret` may name: `stringData.password`, else
    /// `data.password` (base64). Other keys are never read.
    mutating func secret(_ node: Node) {
        guard let h = header(node, kind: "Secret") else { return }
        let metadata = node.mapping?["metadata"]?.mapping
        let namespace = metadata?["namespace"]?.scalar?.string
        var origin = Origin(
            object: "Secret \"\(namespace.map { "\($0)/" } ?? "")\(h.name)\"", location: reader.location(node))
        var password: String?
        if let text = node.mapping?["stringData"]?.mapping?["password"] {
            password = reader.string(text, path: "stringData.password")
            origin.fields["password"] = .init(path: "stringData.password", location: reader.location(text))
        } else if let encoded = node.mapping?["data"]?.mapping?["password"] {
            origin.fields["password"] = .init(path: "data.password", location: reader.location(encoded))
            if let text = reader.string(encoded, path: "data.password") {
                guard let bytes = Base64.decode(text), let decoded = String(validating: bytes, as: UTF8.self) else {
                    reader.error(encoded, "\(origin.object): data.password is not base64 of UTF-8 text")
                    return
                }
                password = decoded
            }
        }
        objects.secrets.append(
            BGPPasswordSecret(namespace: namespace, name: h.name, password: password, origin: origin))
    }

    // MARK: The legacy ConfigMap (MetalLB 0.12 and earlier)

    mutating func configMap(_ node: Node) {
        let metadata = node.mapping?["metadata"]?.mapping
        let name = metadata?["name"]?.scalar?.string ?? ""
        let namespace = metadata?["namespace"]?.scalar?.string
        let label = "ConfigMap \"\(namespace.map { "\($0)/" } ?? "")\(name)\""
        guard let config = node.mapping?["data"]?.mapping?["config"] else {
            reader.warn(node, "\(label) has no data.config, so it is not MetalLB configuration; skipped")
            return
        }
        guard case .scalar(let scalar) = config, config.tagName != .null else {
            reader.error(config, "\(label): data.config must be a string holding MetalLB's configuration")
            return
        }
        var inner: YAMLReader
        if scalar.style == .literal, let mark = config.mark {
            // A literal block (`config: |`): its lines are the file's lines after the indicator, less the block's
            // indentation, so that every problem is placed in the file itself.
            inner = YAMLReader(file: reader.file)
            inner.lineOffset = mark.line
            inner.columnOffset = indentation(after: mark.line)
        } else {
            // A quoted or folded string: lines within the string, after the place of the string.
            inner = YAMLReader(file: "\(reader.location(config)) data.config")
        }
        var decoder = ObjectDecoder(reader: inner, text: scalar.string)
        decoder.legacy(label: label, at: reader.location(node))
        objects.append(decoder.objects)
        embedded += decoder.diagnostics
    }

    /// The indentation of the first line after line `line` (1-based) that is not blank.
    private func indentation(after line: Int) -> Int {
        for text in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).dropFirst(line) {
            let spaces = text.prefix { $0 == " " }.count
            if spaces < text.count { return spaces }
        }
        return 0
    }

    /// Field names of the custom resources by the legacy configuration's spelling.
    static let legacyPeer = [
        "my-asn": "myASN", "peer-asn": "peerASN", "peer-address": "peerAddress", "peer-port": "peerPort",
        "source-address": "sourceAddress", "hold-time": "holdTime", "keepalive-time": "keepaliveTime",
        "router-id": "routerID", "password": "password", "node-selectors": "nodeSelectors",
        "bfd-profile": "bfdProfile", "ebgp-multihop": "ebgpMultiHop",
    ]
    static let legacyPool = [
        "name": "name", "protocol": "protocol", "addresses": "addresses", "auto-assign": "autoAssign",
        "avoid-buggy-ips": "avoidBuggyIPs", "bgp-advertisements": "bgpAdvertisements",
    ]
    static let legacyAdvertisement = [
        "aggregation-length": "aggregationLength", "aggregation-length-v6": "aggregationLengthV6",
        "localpref": "localPref", "communities": "communities",
    ]
    static let legacyBFD = [
        "name": "name", "receive-interval": "receiveInterval", "transmit-interval": "transmitInterval",
        "detect-multiplier": "detectMultiplier", "echo-interval": "echoInterval", "echo-mode": "echoMode",
        "passive-mode": "passiveMode", "minimum-ttl": "minimumTtl",
    ]

    /// Reads the text of a legacy ConfigMap's `data.config`.
    mutating func legacy(label: String, at location: SourceLocation) {
        guard let root = reader.parse(text) else { return }
        var origin = Origin(object: label, location: location)
        let known = ["peers", "bgp-communities", "address-pools", "bfd-profiles"]
        let top = fields(root, path: "", known: known, origin: &origin)

        for (index, item) in (reader.sequence(top["peers"], path: "peers") ?? []).enumerated() {
            legacyPeer(item, path: "peers[\(index)]", name: "peer-\(index + 1)", label: label)
        }
        if let node = top["bgp-communities"] {
            var community = Community(name: "bgp-communities", origin: Origin(object: label, location: location))
            for (index, (alias, value)) in (node.mapping.map { Array($0) } ?? []).enumerated() {
                guard let name = reader.string(alias, path: "bgp-communities key"),
                    let text = reader.string(value, path: "bgp-communities.\(alias.scalar?.string ?? "")")
                else { continue }
                community.origin.fields["communities[\(index)]"] = .init(
                    path: "bgp-communities.\(name)", location: reader.location(value))
                community.communities.append(.init(name: name, value: text))
            }
            if node.mapping == nil {
                reader.error(
                    node, "bgp-communities must be a mapping of names to values, found \(reader.kind(of: node))")
            }
            objects.communities.append(community)
        }
        for (index, item) in (reader.sequence(top["address-pools"], path: "address-pools") ?? []).enumerated() {
            legacyPool(item, path: "address-pools[\(index)]", label: label)
        }
        for (index, item) in (reader.sequence(top["bfd-profiles"], path: "bfd-profiles") ?? []).enumerated() {
            let path = "bfd-profiles[\(index)]"
            var origin = Origin(object: label, location: reader.location(item))
            let f = fields(item, path: path, known: Self.legacyBFD, origin: &origin)
            guard let name = reader.name(f["name"], path: "\(path).name") else {
                if f["name"] == nil { reader.error(item, "\(label): \(path).name is required") }
                continue
            }
            origin.object = "\(label) BFD profile \"\(name)\""
            var profile = BFDProfile(name: name, origin: origin)
            readBFD(&profile, f, path: path, names: Dictionary(uniqueKeysWithValues: Self.legacyBFD.map { ($1, $0) }))
            objects.bfdProfiles.append(profile)
        }
    }

    private mutating func legacyPeer(_ node: Node, path: String, name: String, label: String) {
        var origin = Origin(object: label, location: reader.location(node))
        let f = fields(node, path: path, known: Self.legacyPeer, origin: &origin)
        for required in ["my-asn", "peer-asn", "peer-address"] where f[Self.legacyPeer[required]!] == nil {
            reader.error(node, "\(label): \(path).\(required) is required")
        }
        guard let myASN = uint32(f["myASN"], path: "\(path).my-asn", lowest: 1) else { return }
        var peer = BGPPeer(name: name, myASN: myASN, origin: origin)
        peer.peerASN = uint32(f["peerASN"], path: "\(path).peer-asn", lowest: 1)
        peer.peerAddress = reader.string(f["peerAddress"], path: "\(path).peer-address")
        peer.peerPort = reader.int(f["peerPort"], path: "\(path).peer-port", range: 1...65535)
        peer.sourceAddress = reader.string(f["sourceAddress"], path: "\(path).source-address")
        peer.holdTime = duration(f["holdTime"], path: "\(path).hold-time")
        peer.keepaliveTime = duration(f["keepaliveTime"], path: "\(path).keepalive-time")
        peer.routerID = reader.string(f["routerID"], path: "\(path).router-id")
        peer.password = reader.string(f["password"], path: "\(path).password")
        peer.bfdProfile = reader.string(f["bfdProfile"], path: "\(path).bfd-profile")
        peer.ebgpMultiHop = reader.bool(f["ebgpMultiHop"], path: "\(path).ebgp-multihop") ?? false
        peer.nodeSelectors = selectors(f["nodeSelectors"], path: "\(path).node-selectors", legacy: true)
        objects.peers.append(peer)
    }

    private mutating func legacyPool(_ node: Node, path: String, label: String) {
        var origin = Origin(object: label, location: reader.location(node))
        let f = fields(node, path: path, known: Self.legacyPool, origin: &origin)
        for required in ["name", "protocol", "addresses"] where f[Self.legacyPool[required]!] == nil {
            reader.error(node, "\(label): \(path).\(required) is required")
        }
        guard let name = reader.name(f["name"], path: "\(path).name") else { return }
        origin.object = "\(label) address pool \"\(name)\""
        var pool = IPAddressPool(name: name, origin: origin)
        pool.addresses = strings(f["addresses"], path: "\(path).addresses", field: "addresses", &pool.origin)
        if let v = reader.bool(f["autoAssign"], path: "\(path).auto-assign") { pool.autoAssign = v }
        if let v = reader.bool(f["avoidBuggyIPs"], path: "\(path).avoid-buggy-ips") { pool.avoidBuggyIPs = v }
        objects.pools.append(pool)

        // The pool's own advertisements, which name it.
        var selection = origin
        selection.fields["ipAddressPools[0]"] = origin.fields["name"]
        let advertisements = reader.sequence(f["bgpAdvertisements"], path: "\(path).bgp-advertisements") ?? []
        switch reader.string(f["protocol"], path: "\(path).protocol") {
        case "layer2":
            if let node = f["bgpAdvertisements"] {
                reader.warn(
                    node, "\(label): \(path).bgp-advertisements is ignored for a layer2 pool, as MetalLB ignores it")
            }
            var ad = L2Advertisement(name: name, origin: selection)
            ad.pools.names = [name]
            objects.l2Advertisements.append(ad)
        case "bgp":
            // No advertisement written: one with MetalLB's defaults.
            guard !advertisements.isEmpty else {
                var ad = BGPAdvertisement(name: name, origin: selection)
                ad.pools.names = [name]
                objects.bgpAdvertisements.append(ad)
                return
            }
            for (index, item) in advertisements.enumerated() {
                let itemPath = "\(path).bgp-advertisements[\(index)]"
                var adOrigin = selection
                adOrigin.location = reader.location(item)
                let a = fields(item, path: itemPath, known: Self.legacyAdvertisement, origin: &adOrigin)
                var ad = BGPAdvertisement(
                    name: advertisements.count == 1 ? name : "\(name)-\(index + 1)", origin: adOrigin)
                ad.pools.names = [name]
                ad.aggregationLength = reader.int(
                    a["aggregationLength"], path: "\(itemPath).aggregation-length", range: 0...32)
                ad.aggregationLengthV6 = reader.int(
                    a["aggregationLengthV6"], path: "\(itemPath).aggregation-length-v6", range: 0...128)
                ad.localPref = uint32(a["localPref"], path: "\(itemPath).localpref", lowest: 0)
                ad.communities = strings(
                    a["communities"], path: "\(itemPath).communities", field: "communities", &ad.origin)
                objects.bgpAdvertisements.append(ad)
            }
        case let other?:
            reader.error(f["protocol"], "\(label): \(path).protocol \"\(other)\" is not layer2 or bgp")
        case nil:
            break
        }
    }

    // MARK: Fields

    /// A mapping's values by field name, recording in `origin` where each is written (`prefix` + the field's name).
    /// `known` gives the input's spelling of each field name; a key that is not known is reported as not converted,
    /// never dropped silently.
    private mutating func fields(
        _ node: Node?, path: String, known: [String: String], prefix: String = "", origin: inout Origin
    ) -> [String: Node] {
        guard let node else { return [:] }
        guard let mapping = node.mapping else {
            reader.error(node, "\(origin.object): \(path) must be a mapping, found \(reader.kind(of: node))")
            return [:]
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                reader.error(keyNode, "\(origin.object): \(path) has a key that is not a string")
                continue
            }
            guard let field = known[key] else {
                reader.warn(
                    keyNode,
                    "\(origin.object): \(reader.join(path, key)) is not a field herald convert knows; not converted",
                    hint: suggestion(for: key, among: known.keys.sorted()))
                continue
            }
            result[field] = value
            origin.fields[prefix + field] = .init(path: reader.join(path, key), location: reader.location(value))
        }
        return result
    }

    private mutating func fields(
        _ node: Node?, path: String, known: [String], prefix: String = "", origin: inout Origin
    ) -> [String: Node] {
        fields(
            node, path: path, known: Dictionary(uniqueKeysWithValues: known.map { ($0, $0) }), prefix: prefix,
            origin: &origin)
    }

    /// A list of strings, recording where item `i` is written as the field `field[i]`.
    private mutating func strings(_ node: Node?, path: String, field: String, _ origin: inout Origin) -> [String] {
        var result: [String] = []
        for (index, item) in (reader.sequence(node, path: path) ?? []).enumerated() {
            guard let text = reader.string(item, path: "\(path)[\(index)]") else { continue }
            origin.fields["\(field)[\(result.count)]"] = .init(
                path: "\(path)[\(index)]", location: reader.location(item))
            result.append(text)
        }
        return result
    }

    private mutating func selectors(_ node: Node?, path: String, legacy: Bool = false) -> [LabelSelector] {
        var result: [LabelSelector] = []
        for (index, item) in (reader.sequence(node, path: path) ?? []).enumerated() {
            let itemPath = "\(path)[\(index)]"
            if let selector = legacy ? legacySelector(item, path: itemPath) : reader.labelSelector(item, path: itemPath)
            {
                result.append(selector)
            }
        }
        return result
    }

    /// A legacy node selector: `match-labels` and `match-expressions`.
    private mutating func legacySelector(_ node: Node, path: String) -> LabelSelector? {
        guard let fields = reader.mapping(node, path: path, known: ["match-labels", "match-expressions"]) else {
            return nil
        }
        var selector = LabelSelector(
            matchLabels: reader.stringMap(fields["match-labels"], path: "\(path).match-labels") ?? [:])
        for (index, item) in (reader.sequence(fields["match-expressions"], path: "\(path).match-expressions") ?? [])
            .enumerated()
        {
            let itemPath = "\(path).match-expressions[\(index)]"
            guard
                let e = reader.mapping(
                    item, path: itemPath, known: ["key", "operator", "values"], required: ["key", "operator"]),
                let key = reader.string(e["key"], path: "\(itemPath).key"),
                let opText = reader.string(e["operator"], path: "\(itemPath).operator")
            else { continue }
            guard let op = LabelSelector.Operator(rawValue: opText) else {
                let known = LabelSelector.Operator.allCases.map(\.rawValue).joined(separator: ", ")
                reader.error(e["operator"], "\(itemPath).operator \"\(opText)\" is not one of \(known)")
                continue
            }
            let values = reader.stringList(e["values"], path: "\(itemPath).values")?.map(\.0) ?? []
            if (op == .in || op == .notIn) == values.isEmpty {
                reader.error(item, "\(itemPath): \(op.rawValue) \(values.isEmpty ? "needs values" : "takes no values")")
                continue
            }
            selector.matchExpressions.append(.init(key: key, op: op, values: values))
        }
        return selector
    }

    private mutating func uint32(_ node: Node?, path: String, lowest: Int) -> UInt32? {
        reader.int(node, path: path, range: lowest...Int(UInt32.max)).map { UInt32($0) }
    }

    private mutating func duration(_ node: Node?, path: String) -> Duration? {
        guard let node, let text = reader.string(node, path: path) else { return nil }
        guard let duration = GoDuration.parse(text) else {
            reader.error(node, "\(path) \"\(text)\" is not a duration such as 90s or 1m30s")
            return nil
        }
        return duration
    }
}
