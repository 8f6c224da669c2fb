import HeraldConfig
import HeraldConfigModel
import HeraldCore
import HeraldJSON

/// MetalLB objects to Herald's configuration. Pure: no files, no cluster, so that objects read from manifests and
/// objects watched in a cluster go through the same translation.
///
/// - Pools keep their addresses, `autoAssign`, `avoidBuggyIPs` and `serviceAllocation`.
/// - An L2Advertisement becomes an advertisement through the `arp` instance for the pools with IPv4 addresses and one
///   through `ndp` for those with IPv6 addresses.
/// - BGPPeers become the peers of `herald-bgp` instances: `bgp`, and `bgp-2`… when peers differ in `myASN` or
///   `routerID` (one per instance in Herald) or in which BGPAdvertisements name them (an instance announces to all of
///   its peers); a BGPAdvertisement becomes an advertisement through each instance holding its peers.
/// - `ipAddressPoolSelectors` are resolved against the pools' labels as they are now.
package enum MetalLBTranslation {
    /// `secretsNamespace`: the input holds every `kubernetes.io/basic-auth` Secret of this namespace (objects read
    /// live), so a `passwordSecret` naming another is an error, not a file left for the operator to write.
    package static func translate(
        _ input: MetalLBConfiguration, passwordDirectory: String = "/etc/herald", secretsNamespace: String? = nil
    ) -> Conversion {
        var translator = Translator(
            input: input, passwordDirectory: passwordDirectory, secretsNamespace: secretsNamespace)
        return translator.run()
    }

    /// Well-known community names Herald's BGP plugin reads.
    static let wellKnownCommunities: Set<String> = [
        "no-export", "no-advertise", "no-export-subconfed", "local-as", "nopeer", "blackhole", "graceful-shutdown",
        "accept-own",
    ]
}

private struct Translator {
    let input: MetalLBConfiguration
    let passwordDirectory: String
    /// Objects read live: every basic-auth Secret of this namespace is in the input.
    let secretsNamespace: String?
    var diagnostics: [Diagnostic] = []
    var pools: [Pool] = []
    /// Herald advertisements by the MetalLB advertisement they come from, named once all are known.
    var advertisements: [(from: String, ads: [Advertisement])] = []
    var passwordFiles: [PasswordFile] = []
    var aliases: [String: (value: String, origin: Origin, field: String)] = [:]
    /// Pools announced in layer 2, for the family check.
    var layer2Pools = Set<String>()

    init(input: MetalLBConfiguration, passwordDirectory: String, secretsNamespace: String?) {
        self.input = input
        self.passwordDirectory = passwordDirectory
        self.secretsNamespace = secretsNamespace
    }

    // MARK: Reporting

    mutating func report(
        _ origin: Origin, _ field: String?, _ message: String, hint: String? = nil, severity: Diagnostic.Severity
    ) {
        if let field {
            let f = origin.field(field)
            diagnostics.append(
                Diagnostic(f.location, "\(origin.object): \(f.path) \(message)", hint: hint, severity: severity))
        } else {
            diagnostics.append(
                Diagnostic(origin.location, "\(origin.object) \(message)", hint: hint, severity: severity))
        }
    }

    mutating func error(_ origin: Origin, _ field: String?, _ message: String, hint: String? = nil) {
        report(origin, field, message, hint: hint, severity: .error)
    }

    mutating func warn(_ origin: Origin, _ field: String?, _ message: String, hint: String? = nil) {
        report(origin, field, message, hint: hint, severity: .warning)
    }

    // MARK: The translation

    mutating func run() -> Conversion {
        checkNames()
        translatePools()
        readAliases()
        for ad in input.l2Advertisements { translate(ad) }
        let speakers = translatePeers()
        for ad in input.bgpAdvertisements { translate(ad, speakers) }
        for pool in pools where layer2Pools.contains(pool.name) && pool.serves(.ipv4) && pool.serves(.ipv6) {
            guard let origin = input.pools.first(where: { $0.name == pool.name })?.origin else { continue }
            warn(
                origin, "addresses",
                "holds IPv4 and IPv6 addresses and is announced in layer 2 mode: the arp instance refuses its IPv6 "
                    + "addresses and ndp its IPv4 ones (a Herald advertisement has no address family filter yet)",
                hint: "split it into an IPv4 pool and an IPv6 pool if no Service needs one address of each")
        }
        for secret in input.secrets
        where !input.peers.contains(where: { $0.passwordSecret.map(secret.matches) ?? false }) {
            warn(secret.origin, nil, "is not the passwordSecret of any BGPPeer; skipped")
        }
        for profile in input.bfdProfiles { checkBFD(profile) }

        var configuration = HeraldConfiguration(pools: pools)
        configuration.advertisements = nameAdvertisements()
        var plugins: [PluginInstance] = []
        for (name, kind) in [("arp", PluginInstance.Kind.arp), ("ndp", .ndp)]
        where configuration.advertisements.contains(where: { $0.plugin == name }) {
            plugins.append(PluginInstance(name: name, kind: kind))
        }
        for (index, speaker) in speakers.enumerated() {
            plugins.append(PluginInstance(name: Self.speakerName(index), kind: .bgp(speaker.config)))
        }
        return Conversion(
            configuration: configuration, plugins: plugins, passwordFiles: passwordFiles,
            diagnostics: diagnostics.sorted { $0.location < $1.location })
    }

    static func speakerName(_ index: Int) -> String { index == 0 ? "bgp" : "bgp-\(index + 1)" }

    /// Objects of one kind must have different names.
    mutating func checkNames() {
        func check(_ kind: String, _ objects: [(name: String, origin: Origin)]) {
            var seen: [String: Origin] = [:]
            for object in objects {
                if let first = seen[object.name] {
                    error(object.origin, nil, "has the name of another \(kind), written at \(first.location)")
                } else {
                    seen[object.name] = object.origin
                }
            }
        }
        check("IPAddressPool", input.pools.map { ($0.name, $0.origin) })
        check("L2Advertisement", input.l2Advertisements.map { ($0.name, $0.origin) })
        check("BGPAdvertisement", input.bgpAdvertisements.map { ($0.name, $0.origin) })
        check("BGPPeer", input.peers.map { ($0.name, $0.origin) })
        check("BFDProfile", input.bfdProfiles.map { ($0.name, $0.origin) })
        check("Community", input.communities.map { ($0.name, $0.origin) })
    }

    // MARK: Pools

    mutating func translatePools() {
        var entries: [(pool: IPAddressPool, index: Int, range: IPRange)] = []
        var names = Set<String>()
        for metallb in input.pools where names.insert(metallb.name).inserted {
            if metallb.addresses.isEmpty {
                error(metallb.origin, "addresses", "is empty", hint: "give at least one CIDR or a-b range")
            }
            var ranges: [IPRange] = []
            for (index, text) in metallb.addresses.enumerated() {
                switch IPRange.parseEntry(text) {
                case .success(let (range, cleared)):
                    if let cleared {
                        warn(
                            metallb.origin, "addresses[\(index)]",
                            "\"\(text)\" has host bits set; it is read (as MetalLB reads it) and written as \(cleared)")
                    }
                    ranges.append(range)
                    entries.append((metallb, index, range))
                case .failure(let why):
                    error(metallb.origin, "addresses[\(index)]", "is invalid: \(why)")
                }
            }
            pools.append(
                Pool(
                    name: metallb.name, ranges: ranges, autoAssign: metallb.autoAssign,
                    avoidBuggyIPs: metallb.avoidBuggyIPs, serviceAllocation: metallb.serviceAllocation))
        }
        for overlap in RangeOverlaps.find(entries.map(\.range)) {
            let (earlier, later) = (entries[overlap.earlier], entries[overlap.later])
            let at = earlier.pool.origin.field("addresses[\(earlier.index)]").location
            error(
                later.pool.origin, "addresses[\(later.index)]",
                "(\(later.range)) overlaps \(earlier.range) of \(earlier.pool.origin.object), written at \(at)",
                hint: "an address may belong to one pool only")
        }
    }

    /// The pools an advertisement covers: nil for every pool, else their names (possibly none).
    mutating func covered(_ selection: PoolSelection, _ origin: Origin) -> [String]? {
        if selection.names.isEmpty && selection.selectors.isEmpty { return nil }
        let defined = input.pools.map(\.name)
        var result: [String] = []
        for (index, name) in selection.names.enumerated() {
            guard defined.contains(name) else {
                error(
                    origin, "ipAddressPools[\(index)]", "names IPAddressPool \"\(name)\", which is not defined",
                    hint: suggestion(for: name, among: defined, listing: "defined pools"))
                continue
            }
            if !result.contains(name) { result.append(name) }
        }
        for pool in input.pools
        where selection.selectors.contains(where: { $0.matches(pool.labels) }) && !result.contains(pool.name) {
            result.append(pool.name)
        }
        return result
    }

    // MARK: Layer 2

    mutating func translate(_ l2: L2Advertisement) {
        let origin = l2.origin
        let selected = covered(l2.pools, origin)
        if selected?.isEmpty == true {
            if !l2.pools.selectors.isEmpty {
                warn(
                    origin, "ipAddressPoolSelectors",
                    "selects no IPAddressPool, so the advertisement covers none; not converted")
            }
            return
        }
        if !l2.serviceSelectors.isEmpty {
            warn(
                origin, "serviceSelectors",
                "is not converted: a Herald advertisement covers every Service of its pools",
                hint: "give those Services a pool of their own (serviceAllocation) to announce them differently")
        }
        if !l2.preferredNodeSelectors.isEmpty {
            warn(
                origin, "preferredNodeSelectors",
                "is not converted: Herald elects the announcing node among every node the nodeSelectors allow")
        }
        let candidates = pools.filter { selected?.contains($0.name) ?? true }
        for pool in candidates { layer2Pools.insert(pool.name) }
        var attributes = JSONObject()
        if !l2.interfaces.isEmpty { attributes.add("interfaces", strings: l2.interfaces) }
        var ads: [Advertisement] = []
        for (plugin, family) in [("arp", IPFamily.ipv4), ("ndp", .ipv6)] {
            let served = candidates.filter { $0.serves(family) }.map(\.name)
            guard !served.isEmpty else { continue }
            // Every pool, when the MetalLB advertisement names none and every pool has addresses of the family.
            let names = selected == nil && served.count == pools.count ? [] : served
            ads.append(
                Advertisement(
                    name: l2.name, plugin: plugin, pools: names, nodeSelectors: l2.nodeSelectors,
                    attributesJSON: attributes.text))
        }
        advertisements.append((l2.name, ads))
    }

    // MARK: BGP

    /// One `herald-bgp` instance being built, and what puts a peer in it.
    struct Speaker {
        var myASN: UInt32
        var routerID: String?
        /// The BGPAdvertisements that announce to its peers.
        var reach: [String]
        var config: BGPSpeakerConfig
        var addresses: Set<String> = []
    }

    mutating func translatePeers() -> [Speaker] {
        var speakers: [Speaker] = []
        var names = Set<String>()
        for peer in input.peers where names.insert(peer.name).inserted {
            guard let converted = convert(peer) else { continue }
            var routerID: String?
            if let text = peer.routerID {
                guard let address = IPAddress(text), address.family == .ipv4, address.integer != 0 else {
                    error(peer.origin, "routerID", "\"\(text)\" is not a non-zero IPv4 address")
                    continue
                }
                routerID = address.description
            }
            let reach = input.bgpAdvertisements.filter { $0.peers.isEmpty || $0.peers.contains(peer.name) }.map(\.name)
            let index = speakers.firstIndex {
                $0.myASN == peer.myASN && $0.routerID == routerID && $0.reach == reach
                    && !$0.addresses.contains(converted.address)
            }
            if let index {
                speakers[index].config.peers.append(converted)
                speakers[index].addresses.insert(converted.address)
                addBFDProfile(named: converted.bfdProfile, to: &speakers[index].config)
            } else {
                var config = BGPSpeakerConfig(myASN: peer.myASN, routerID: routerID, peers: [converted])
                addBFDProfile(named: converted.bfdProfile, to: &config)
                speakers.append(
                    Speaker(
                        myASN: peer.myASN, routerID: routerID, reach: reach, config: config,
                        addresses: [converted.address]))
            }
        }
        return speakers
    }

    /// A peer of the BGP plugin, or nil (reported) when Herald cannot peer with it.
    mutating func convert(_ peer: BGPPeer) -> BGPSpeakerPeer? {
        let origin = peer.origin
        guard let addressText = peer.peerAddress else {
            if let interface = peer.interface {
                warn(
                    origin, "interface",
                    "(BGP unnumbered over \(interface)) is not supported by Herald's BGP plugin yet; "
                        + "the peer is not converted")
            } else {
                error(origin, nil, "has no peerAddress")
            }
            return nil
        }
        if peer.interface != nil {
            error(origin, "interface", "cannot be given with peerAddress")
            return nil
        }
        guard let address = IPAddress(addressText) else {
            error(origin, "peerAddress", "\"\(addressText)\" is not an IPv4 or IPv6 address")
            return nil
        }
        if let dynamic = peer.dynamicASN {
            if peer.peerASN != nil {
                error(origin, "dynamicASN", "cannot be given with peerASN")
            } else {
                warn(
                    origin, "dynamicASN",
                    "(\(dynamic)) is not supported by Herald's BGP plugin yet, which needs the peer's AS number; "
                        + "the peer is not converted", hint: "set peerASN")
            }
            return nil
        }
        guard let asn = peer.peerASN else {
            error(origin, nil, "has no peerASN")
            return nil
        }
        var out = BGPSpeakerPeer(
            source: "\(origin.object) (\(origin.location))", address: address.description, asn: asn)
        out.name = peer.name
        var valid = true
        if let port = peer.peerPort, port != 179 { out.port = port }
        if let hold = peer.holdTime {
            let (seconds, exact) = GoDuration.wholeSeconds(hold)
            if !exact {
                warn(origin, "holdTime", "is not a whole number of seconds; \(seconds)s is used")
            }
            if seconds == 0 || (3...65535).contains(seconds) {
                out.holdTime = Int(seconds)
            } else {
                error(origin, "holdTime", "(\(seconds)s) must be 0 or within 3s...65535s")
                valid = false
            }
        }
        if let keepalive = peer.keepaliveTime {
            let (seconds, exact) = GoDuration.wholeSeconds(keepalive)
            if !exact {
                warn(origin, "keepaliveTime", "is not a whole number of seconds; \(seconds)s is used")
            }
            let hold = Int64(out.holdTime ?? 90)
            if seconds < 1 || seconds > 21845 {
                error(origin, "keepaliveTime", "(\(seconds)s) must be within 1s...21845s")
                valid = false
            } else if hold != 0 && seconds > hold {
                error(origin, "keepaliveTime", "(\(seconds)s) is longer than the hold time (\(hold)s)")
                valid = false
            } else if hold != 0 && seconds > hold / 3 {
                warn(
                    origin, "keepaliveTime",
                    "(\(seconds)s) is not converted: Herald's BGP plugin sends keepalives at least every hold time / 3 "
                        + "(\(hold / 3)s), which it uses by default")
            } else {
                out.keepaliveTime = Int(seconds)
            }
        }
        if peer.connectTime != nil {
            warn(
                origin, "connectTime",
                "is not converted: Herald's BGP plugin has no setting for it and keeps its own reconnection timing")
        }
        if let text = peer.sourceAddress {
            if let source = IPAddress(text), source.family == address.family {
                out.sourceAddress = source.description
            } else {
                error(origin, "sourceAddress", "\"\(text)\" is not an address of the peer's family")
                valid = false
            }
        }
        if let vrf = peer.vrf, !vrf.isEmpty {
            if vrf.utf8.count > 15 || vrf.contains("/") || vrf.contains(" ") {
                error(origin, "vrf", "\"\(vrf)\" is not a network device name")
                valid = false
            } else {
                out.vrf = vrf
            }
        }
        out.nodeSelectors = peer.nodeSelectors
        out.gracefulRestart = peer.enableGracefulRestart
        // FRR's `ebgp-multihop` without a count, which MetalLB writes, allows 255 hops.
        if peer.ebgpMultiHop { out.ebgpMultiHop = 255 }
        if peer.dualStackAddressFamily {
            out.families = ["ipv4", "ipv6"]
        } else if peer.disableMP == false {
            // disableMP: true is Herald's way (one family per session); false asked for both on one session.
            warn(
                origin, "disableMP",
                "(false) is not converted: before 0.14 MetalLB then carried IPv4 and IPv6 routes on this one "
                    + "session; Herald announces only the session's family unless told otherwise",
                hint: "set dualStackAddressFamily: true for both families")
        }
        let passwordPath = "\(passwordDirectory)/bgp-\(peer.name).password"
        switch (peer.password, peer.passwordSecret) {
        case (_?, _?):
            error(origin, "passwordSecret", "cannot be given with password")
            valid = false
        case (let password?, nil):
            out.passwordFile = passwordPath
            passwordFiles.append(
                PasswordFile(
                    path: passwordPath, password: password, peer: origin.object,
                    location: origin.field("password").location))
        case (nil, let reference?):
            out.passwordFile = passwordPath
            if let secret = input.secrets.first(where: { $0.matches(reference) }) {
                // The Secret came with the objects: its password is as good as one written in the peer.
                if let password = secret.password {
                    passwordFiles.append(
                        PasswordFile(
                            path: passwordPath, password: password, peer: origin.object,
                            location: secret.origin.field("password").location))
                } else {
                    error(secret.origin, nil, "has no password key, which \(origin.object) needs (passwordSecret)")
                    valid = false
                }
            } else if let namespace = secretsNamespace {
                error(
                    origin, "passwordSecret",
                    "names Secret \(reference), which is not a kubernetes.io/basic-auth Secret of namespace \(namespace)",
                    hint: "create it there with type kubernetes.io/basic-auth and a password key (MetalLB's own rule)")
                valid = false
            } else {
                out.passwordNote = "the \"password\" key of Secret \(reference)"
                warn(
                    origin, "passwordSecret",
                    "names Secret \(reference), which cannot be read here: write its \"password\" key to "
                        + "\(passwordPath) (mode 0600) before Herald starts",
                    hint: "or give the Secret with the objects (kubectl get secret -o yaml)")
            }
        case (nil, nil):
            break
        }
        if let profile = peer.bfdProfile {
            if input.bfdProfiles.contains(where: { $0.name == profile }) {
                out.bfdProfile = profile
            } else {
                error(
                    origin, "bfdProfile", "names BFDProfile \"\(profile)\", which is not defined",
                    hint: suggestion(for: profile, among: input.bfdProfiles.map(\.name), listing: "defined profiles"))
                valid = false
            }
        }
        return valid ? out : nil
    }

    /// A BFD profile's fields against the plugin's ranges (MetalLB's): out of range is an error; the Echo function,
    /// which the plugin does not run, a warning.
    mutating func checkBFD(_ profile: BFDProfile) {
        for (field, value, range) in [
            ("receiveInterval", profile.receiveInterval, 10...60_000),
            ("transmitInterval", profile.transmitInterval, 10...60_000),
            ("detectMultiplier", profile.detectMultiplier, 2...255), ("minimumTtl", profile.minimumTtl, 1...255),
        ] {
            if let value, !range.contains(value) {
                error(profile.origin, field, "\(value) is not within \(range.lowerBound)...\(range.upperBound)")
            }
        }
        if profile.echoMode == true {
            warn(
                profile.origin, "echoMode",
                "is not supported by Herald's BFD (no Echo function); the sessions run without it")
        }
        if profile.echoInterval != nil, profile.echoMode != true {
            warn(profile.origin, "echoInterval", "is ignored: it applies to the Echo function, which is off")
        } else if profile.echoInterval != nil {
            warn(profile.origin, "echoInterval", "is ignored with the Echo function")
        }
    }

    /// Puts the profile a converted peer names into its speaker's `bfdProfiles`, once.
    func addBFDProfile(named name: String?, to config: inout BGPSpeakerConfig) {
        guard let name, !config.bfdProfiles.contains(where: { $0.name == name }),
            let profile = input.bfdProfiles.first(where: { $0.name == name })
        else { return }
        var out = BFDSpeakerProfile(name: name)
        out.receiveInterval = profile.receiveInterval
        out.transmitInterval = profile.transmitInterval
        out.detectMultiplier = profile.detectMultiplier
        out.passiveMode = profile.passiveMode
        out.minimumTtl = profile.minimumTtl
        config.bfdProfiles.append(out)
    }

    mutating func readAliases() {
        for community in input.communities {
            for (index, alias) in community.communities.enumerated() {
                let field = "communities[\(index)]"
                if let first = aliases[alias.name] {
                    error(
                        community.origin, field,
                        "gives the community alias \"\(alias.name)\" again (first at \(first.origin.field(first.field).location))"
                    )
                    continue
                }
                guard Self.literal(alias.value) != nil else {
                    error(
                        community.origin, field,
                        "alias \"\(alias.name)\": \"\(alias.value)\" is neither a:b nor large:a:b:c")
                    continue
                }
                aliases[alias.name] = (alias.value, community.origin, field)
            }
        }
    }

    enum CommunityValue {
        case standard(String)
        case large(String)
    }

    /// `a:b` (16 bits each) or `large:a:b:c` (32 bits each).
    static func literal(_ text: String) -> CommunityValue? {
        if text.hasPrefix("large:") {
            let parts = text.dropFirst("large:".count).split(separator: ":", omittingEmptySubsequences: false)
            let values = parts.compactMap { UInt32($0) }
            guard parts.count == 3, values.count == 3 else { return nil }
            return .large(values.map(String.init).joined(separator: ":"))
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let values = parts.compactMap { UInt16($0) }
        if parts.count == 2 && values.count == 2 { return .standard("\(values[0]):\(values[1])") }
        return nil
    }

    mutating func translate(_ bgp: BGPAdvertisement, _ speakers: [Speaker]) {
        let origin = bgp.origin
        var valid = true
        for (index, name) in bgp.peers.enumerated() where !input.peers.contains(where: { $0.name == name }) {
            error(
                origin, "peers[\(index)]", "names BGPPeer \"\(name)\", which is not defined",
                hint: suggestion(for: name, among: input.peers.map(\.name), listing: "defined peers"))
            valid = false
        }
        var attributes = JSONObject()
        var standard: [String] = []
        var large: [String] = []
        for (index, text) in bgp.communities.enumerated() {
            // A value, else an alias, else a well-known name (an alias may take a well-known name over).
            let wellKnown = MetalLBTranslation.wellKnownCommunities.contains(text.lowercased())
            let value =
                Self.literal(text) ?? aliases[text].flatMap { Self.literal($0.value) }
                ?? (wellKnown ? .standard(text.lowercased()) : nil)
            switch value {
            case .standard(let v)?: if !standard.contains(v) { standard.append(v) }
            case .large(let v)?: if !large.contains(v) { large.append(v) }
            case nil:
                error(
                    origin, "communities[\(index)]",
                    "\"\(text)\" is neither a:b, large:a:b:c, a well-known community nor a Community alias",
                    hint: suggestion(for: text, among: aliases.keys.sorted(), listing: "aliases"))
                valid = false
            }
        }
        if !standard.isEmpty { attributes.add("communities", strings: standard) }
        if !large.isEmpty { attributes.add("largeCommunities", strings: large) }
        if let localPref = bgp.localPref { attributes.add("localPreference", integer: Int(localPref)) }
        let selected = covered(bgp.pools, origin)
        guard valid else { return }
        if selected?.isEmpty == true {
            if !bgp.pools.selectors.isEmpty {
                warn(
                    origin, "ipAddressPoolSelectors",
                    "selects no IPAddressPool, so the advertisement covers none; not converted")
            }
            return
        }
        if !bgp.serviceSelectors.isEmpty {
            warn(
                origin, "serviceSelectors",
                "is not converted: a Herald advertisement covers every Service of its pools",
                hint: "give those Services a pool of their own (serviceAllocation) to announce them differently")
        }
        let reached = speakers.indices.filter { speakers[$0].reach.contains(bgp.name) }
        if reached.isEmpty {
            warn(
                origin, nil,
                input.peers.isEmpty
                    ? "is not converted: there is no BGPPeer to announce to"
                    : "is not converted: none of the BGPPeers it announces to could be converted")
            return
        }
        let ads = reached.map { index in
            Advertisement(
                name: bgp.name, plugin: Self.speakerName(index), pools: selected ?? [],
                nodeSelectors: bgp.nodeSelectors,
                aggregationLength: bgp.aggregationLength == 32 ? nil : bgp.aggregationLength,
                aggregationLengthV6: bgp.aggregationLengthV6 == 128 ? nil : bgp.aggregationLengthV6,
                attributesJSON: attributes.text)
        }
        advertisements.append((bgp.name, ads))
    }

    // MARK: Names

    /// A MetalLB advertisement that became one Herald advertisement keeps its name; one that became several gets
    /// the instance's name appended (`example-arp`, `example-ndp`). Names stay unique across kinds.
    mutating func nameAdvertisements() -> [Advertisement] {
        var used = Set<String>()
        var result: [Advertisement] = []
        for (from, ads) in advertisements {
            for var ad in ads {
                var name = ads.count == 1 ? from : "\(from)-\(ad.plugin)"
                if used.contains(name) { name = "\(from)-\(ad.plugin)" }
                var counter = 2
                let base = name
                while used.contains(name) {
                    name = "\(base)-\(counter)"
                    counter += 1
                }
                used.insert(name)
                ad.name = name
                result.append(ad)
            }
        }
        return result
    }
}

/// A JSON object written key by key (advertisement attributes).
struct JSONObject {
    private var members: [String] = []

    mutating func add(_ key: String, strings: [String]) {
        members.append(JSONString.quoted(key) + ":[" + strings.map(JSONString.quoted).joined(separator: ",") + "]")
    }

    mutating func add(_ key: String, integer: Int) { members.append(JSONString.quoted(key) + ":\(integer)") }

    var text: String { "{" + members.joined(separator: ",") + "}" }
}
