import HeraldConfigModel
import HeraldCore
import Yams

/// Parses and validates `herald.yaml`. Pure: it takes the file's text and name and returns either a complete
/// configuration or every problem found, each with file, line and column. Never a half-valid configuration.
public enum ConfigParser {
    /// - Parameters:
    ///   - pluginInstances: names of the enabled plugins.d instances, to check advertisements against; nil skips the
    ///     check (for validating herald.yaml on its own).
    public static func parse(
        _ text: String, file: String, pluginInstances: Set<String>? = nil
    ) -> Result<HeraldConfiguration, ConfigErrors> {
        parse(text, file: file, plugins: pluginInstances.map { PluginInstanceIndex(enabled: $0) })
    }

    /// - Parameters:
    ///   - plugins: what plugins.d holds (enabled, disabled and invalid files by instance name), to check
    ///     advertisements against and to say precisely why a name cannot be used; nil skips the check.
    public static func parse(
        _ text: String, file: String, plugins: PluginInstanceIndex?
    ) -> Result<HeraldConfiguration, ConfigErrors> {
        var reader = YAMLReader(file: file)
        guard let root = reader.parse(text) else { return .failure(ConfigErrors(reader.diagnostics)) }
        var config = HeraldConfiguration()
        let known = [
            "apiVersion", "kind", "node", "loadBalancerClass", "sharingScope", "pools", "advertisements", "staticVIPs",
            "metallb",
        ]
        guard let top = reader.mapping(root, path: "the configuration", known: known, required: ["apiVersion"]) else {
            return .failure(ConfigErrors(reader.diagnostics))
        }
        if let version = reader.string(top["apiVersion"], path: "apiVersion"), version != HeraldConfiguration.apiVersion
        {
            reader.error(
                top["apiVersion"], "apiVersion \"\(version)\" is not supported",
                hint: "this Herald reads apiVersion: \(HeraldConfiguration.apiVersion)")
        }
        if let kind = reader.string(top["kind"], path: "kind"), kind != HeraldConfiguration.kind {
            reader.error(top["kind"], "kind \"\(kind)\" is not \(HeraldConfiguration.kind)")
        }
        if let node = top["node"] { config.node = parseNode(node, &reader) }
        if let node = top["loadBalancerClass"] {
            config.loadBalancerClass = reader.string(node, path: "loadBalancerClass")
            if config.loadBalancerClass?.isEmpty == true {
                reader.error(
                    node, "loadBalancerClass must not be empty", hint: "remove it to serve Services with no class")
            }
        }

        for (key, node) in top { config.keyLocations[key] = reader.location(node) }
        if let node = top["metallb"] { config.metallb = parseMetalLB(node, top, &reader) }

        if let node = top["sharingScope"], let scope = sharingScope(node, path: "sharingScope", &reader) {
            config.sharingScope = scope
        }

        var poolNodes: [String: Node] = [:]
        let poolItems = reader.sequence(top["pools"], path: "pools") ?? []
        // Names of every pool written in the file, valid or not: a reference to an invalid pool is not dangling.
        let declaredPools = Set(poolItems.compactMap { $0.mapping?["name"]?.scalar?.string })
        // When a pool could not be read, which addresses it holds is unknown: "in no pool" would be a guess.
        var poolsComplete = top["pools"] == nil || top["pools"]?.sequence != nil
        for (index, item) in poolItems.enumerated() {
            guard let pool = parsePool(item, path: "pools[\(index)]", sharingScope: config.sharingScope, &reader) else {
                poolsComplete = false
                continue
            }
            if poolNodes[pool.name] != nil {
                reader.error(item, "pool \"\(pool.name)\" is defined twice")
                continue
            }
            poolNodes[pool.name] = item
            config.pools.append(pool)
        }
        checkOverlaps(config.pools, poolNodes, &reader)

        var advertisementNames = Set<String>()
        for (index, item) in (reader.sequence(top["advertisements"], path: "advertisements") ?? []).enumerated() {
            let path = "advertisements[\(index)]"
            guard let ad = parseAdvertisement(item, path: path, &reader) else { continue }
            guard advertisementNames.insert(ad.name).inserted else {
                reader.error(item, "advertisement \"\(ad.name)\" is defined twice")
                continue
            }
            for (poolIndex, pool) in ad.pools.enumerated() where !declaredPools.contains(pool) {
                let node = item.mapping?["pools"]?.sequence?[poolIndex]
                reader.error(
                    node, "\(path).pools[\(poolIndex)] names pool \"\(pool)\", which is not defined",
                    hint: suggestion(for: pool, among: declaredPools.sorted(), listing: "defined pools"))
            }
            if let plugins, let problem = plugins.problem(with: ad.plugin) {
                reader.error(
                    item.mapping?["plugin"],
                    "\(path).plugin names plugin instance \"\(ad.plugin)\", \(problem.message)",
                    hint: problem.hint)
            }
            config.advertisements.append(ad)
        }

        var vipNames = Set<String>()
        var vipAddresses: [IPAddress: String] = [:]
        for (index, item) in (reader.sequence(top["staticVIPs"], path: "staticVIPs") ?? []).enumerated() {
            let path = "staticVIPs[\(index)]"
            guard let vip = parseStaticVIP(item, path: path, &reader) else { continue }
            guard vipNames.insert(vip.name).inserted else {
                reader.error(item, "static VIP \"\(vip.name)\" is defined twice")
                continue
            }
            if let other = vipAddresses[vip.address] {
                reader.error(
                    item.mapping?["address"], "\(vip.address) is already the address of static VIP \"\(other)\"")
                continue
            }
            vipAddresses[vip.address] = vip.name
            guard let pool = config.pool(containing: vip.address) else {
                guard poolsComplete else { continue }
                reader.error(
                    item.mapping?["address"], "\(path).address \(vip.address) is in no pool",
                    hint: "add it to a pool so that no service can be given the same address")
                continue
            }
            for (adIndex, name) in vip.advertisements.enumerated() {
                let node = item.mapping?["advertisements"]?.sequence?[adIndex]
                guard let ad = config.advertisements.first(where: { $0.name == name }) else {
                    reader.error(
                        node, "\(path).advertisements[\(adIndex)] names advertisement \"\(name)\", which is not defined"
                    )
                    continue
                }
                if !ad.covers(pool: pool.name) {
                    reader.error(
                        node, "advertisement \"\(name)\" does not cover pool \"\(pool.name)\" of \(vip.address)")
                }
            }
            config.staticVIPs.append(vip)
        }

        guard reader.diagnostics.isEmpty else { return .failure(ConfigErrors(reader.diagnostics)) }
        config.warnings = reader.warnings.sorted { $0.location < $1.location }
        return .success(config)
    }

    /// `metallb: {namespace: NS}`; pools and advertisements beside it are an error (they come from MetalLB's objects).
    private static func parseMetalLB(
        _ node: Node, _ top: [String: Node], _ reader: inout YAMLReader
    )
        -> MetalLBSettings?
    {
        guard let fields = reader.mapping(node, path: "metallb", known: ["namespace"], required: ["namespace"]),
            let namespace = reader.string(fields["namespace"], path: "metallb.namespace")
        else { return nil }
        if namespace.isEmpty {
            reader.error(fields["namespace"], "metallb.namespace must not be empty", hint: "name MetalLB's namespace")
            return nil
        }
        for key in ["pools", "advertisements"] where top[key] != nil {
            reader.error(
                top[key],
                "\(key) cannot be written here when metallb is set: they come from MetalLB's objects in namespace "
                    + "\"\(namespace)\"",
                hint: "remove \(key) (MetalLB's IPAddressPools and advertisements are read instead), or remove "
                    + "metallb to keep Herald's own")
        }
        return MetalLBSettings(namespace: namespace)
    }

    private static func parseNode(_ node: Node, _ reader: inout YAMLReader) -> NodeSpec {
        var spec = NodeSpec()
        guard let fields = reader.mapping(node, path: "node", known: ["name", "labels", "addresses"]) else {
            return spec
        }
        spec.name = reader.name(fields["name"], path: "node.name")
        spec.labels = reader.stringMap(fields["labels"], path: "node.labels") ?? [:]
        for (text, item) in reader.stringList(fields["addresses"], path: "node.addresses") ?? [] {
            if IPAddress(text) == nil {
                reader.error(item, "node.addresses: \"\(text)\" is not an IP address")
            } else {
                spec.addresses.append(text)
            }
        }
        return spec
    }

    /// `sharingScope`: `cluster` or `namespace`.
    private static func sharingScope(_ node: Node, path: String, _ reader: inout YAMLReader) -> SharingScope? {
        guard let text = reader.string(node, path: path) else { return nil }
        guard let scope = SharingScope(rawValue: text) else {
            let names = SharingScope.allCases.map(\.rawValue)
            reader.error(
                node, "\(path) \"\(text)\" is not one of \(names.joined(separator: ", "))",
                hint: "cluster: any Service with the same allow-shared-ip key may share an address (MetalLB's rule); "
                    + "namespace: only Services of one namespace may")
            return nil
        }
        return scope
    }

    /// - Parameter sharingScope: the file's `sharingScope`, for a pool that sets none.
    private static func parsePool(
        _ node: Node, path: String, sharingScope: SharingScope, _ reader: inout YAMLReader
    ) -> Pool? {
        let known = ["name", "addresses", "autoAssign", "avoidBuggyIPs", "serviceAllocation", "sharingScope"]
        guard let fields = reader.mapping(node, path: path, known: known, required: ["name", "addresses"]),
            let name = reader.name(fields["name"], path: "\(path).name")
        else { return nil }
        var ranges: [IPRange] = []
        var valid = true
        let entries = reader.stringList(fields["addresses"], path: "\(path).addresses") ?? []
        if fields["addresses"] != nil && entries.isEmpty && reader.diagnostics.isEmpty {
            reader.error(fields["addresses"], "\(path).addresses is empty", hint: "give at least one CIDR or a-b range")
        }
        for (index, (text, item)) in entries.enumerated() {
            switch IPRange.parseEntry(text) {
            case .success(let (range, cleared)):
                ranges.append(range)
                if let cleared {
                    reader.warn(
                        item, "\(path).addresses[\(index)]: \"\(text)\" has host bits set; it is read as \(cleared)",
                        hint: "write \(cleared) if that is meant")
                }
            case .failure(let why):
                reader.error(item, "\(path).addresses[\(index)]: \(why)")
                valid = false
            }
        }
        var pool = Pool(name: name, ranges: ranges, sharingScope: sharingScope)
        if let node = fields["sharingScope"] {
            if let scope = Self.sharingScope(node, path: "\(path).sharingScope", &reader) {
                pool.sharingScope = scope
            } else {
                valid = false
            }
        }
        if let v = reader.bool(fields["autoAssign"], path: "\(path).autoAssign") { pool.autoAssign = v }
        if let v = reader.bool(fields["avoidBuggyIPs"], path: "\(path).avoidBuggyIPs") { pool.avoidBuggyIPs = v }
        if let sa = fields["serviceAllocation"] {
            pool.serviceAllocation = parseServiceAllocation(sa, path: "\(path).serviceAllocation", &reader)
        }
        return valid ? pool : nil
    }

    private static func parseServiceAllocation(
        _ node: Node, path: String, _ reader: inout YAMLReader
    ) -> ServiceAllocation? {
        let known = ["priority", "namespaces", "namespaceSelectors", "serviceSelectors"]
        guard let fields = reader.mapping(node, path: path, known: known) else { return nil }
        var sa = ServiceAllocation()
        sa.priority = reader.int(fields["priority"], path: "\(path).priority", range: 0...Int(Int32.max))
        sa.namespaces = reader.stringList(fields["namespaces"], path: "\(path).namespaces")?.map(\.0) ?? []
        for (index, item) in (reader.sequence(fields["namespaceSelectors"], path: "\(path).namespaceSelectors") ?? [])
            .enumerated()
        {
            if let s = reader.labelSelector(item, path: "\(path).namespaceSelectors[\(index)]") {
                sa.namespaceSelectors.append(s)
            }
        }
        for (index, item) in (reader.sequence(fields["serviceSelectors"], path: "\(path).serviceSelectors") ?? [])
            .enumerated()
        {
            if let s = reader.labelSelector(item, path: "\(path).serviceSelectors[\(index)]") {
                sa.serviceSelectors.append(s)
            }
        }
        return sa
    }

    private static func parseAdvertisement(_ node: Node, path: String, _ reader: inout YAMLReader) -> Advertisement? {
        let known = [
            "name", "plugin", "pools", "nodeSelectors", "aggregationLength", "aggregationLengthV6", "attributes",
        ]
        guard let fields = reader.mapping(node, path: path, known: known, required: ["name", "plugin"]),
            let name = reader.name(fields["name"], path: "\(path).name"),
            let plugin = reader.name(fields["plugin"], path: "\(path).plugin")
        else { return nil }
        var ad = Advertisement(name: name, plugin: plugin)
        ad.pools = reader.stringList(fields["pools"], path: "\(path).pools")?.map(\.0) ?? []
        for (index, item) in (reader.sequence(fields["nodeSelectors"], path: "\(path).nodeSelectors") ?? [])
            .enumerated()
        {
            if let s = reader.labelSelector(item, path: "\(path).nodeSelectors[\(index)]") {
                ad.nodeSelectors.append(s)
            }
        }
        ad.aggregationLength = reader.int(fields["aggregationLength"], path: "\(path).aggregationLength", range: 0...32)
        ad.aggregationLengthV6 = reader.int(
            fields["aggregationLengthV6"], path: "\(path).aggregationLengthV6", range: 0...128)
        if let attributes = fields["attributes"] {
            if attributes.mapping == nil {
                reader.error(attributes, "\(path).attributes must be a mapping, found \(reader.kind(of: attributes))")
            } else {
                ad.attributesJSON = JSONText.from(attributes)
            }
        }
        return ad
    }

    private static func parseStaticVIP(_ node: Node, path: String, _ reader: inout YAMLReader) -> StaticVIP? {
        let known = ["name", "address", "services", "advertisements"]
        guard let fields = reader.mapping(node, path: path, known: known, required: ["name", "address"]),
            let name = reader.name(fields["name"], path: "\(path).name"),
            let text = reader.string(fields["address"], path: "\(path).address")
        else { return nil }
        guard let address = IPAddress(text) else {
            reader.error(fields["address"], "\(path).address \"\(text)\" is not an IPv4 or IPv6 address")
            return nil
        }
        var services: [ServiceID] = []
        for (service, item) in reader.stringList(fields["services"], path: "\(path).services") ?? [] {
            if let id = ServiceID(service) {
                services.append(id)
            } else {
                reader.error(item, "\(path).services: \"\(service)\" is not namespace/name")
            }
        }
        let advertisements = reader.stringList(fields["advertisements"], path: "\(path).advertisements")?.map(\.0) ?? []
        return StaticVIP(name: name, address: address, services: services, advertisements: advertisements)
    }

    /// Pools never share an address. O(n log n) in the number of ranges (see `RangeOverlaps`); each overlap is
    /// reported at the later-starting range's entry, naming where the earlier one is written.
    private static func checkOverlaps(_ pools: [Pool], _ nodes: [String: Node], _ reader: inout YAMLReader) {
        var entries: [(pool: String, index: Int, range: IPRange)] = []
        for pool in pools {
            for (index, range) in pool.ranges.enumerated() { entries.append((pool.name, index, range)) }
        }
        func node(_ entry: (pool: String, index: Int, range: IPRange)) -> Node? {
            let addresses = nodes[entry.pool]?.mapping?["addresses"]
            return addresses?.sequence.flatMap { entry.index < $0.count ? $0[entry.index] : nil } ?? addresses
        }
        for overlap in RangeOverlaps.find(entries.map(\.range)) {
            let (earlier, later) = (entries[overlap.earlier], entries[overlap.later])
            let at = reader.location(node(earlier))
            let written = "written at line \(at.line), column \(at.column)"
            reader.error(
                node(later),
                earlier.pool == later.pool
                    ? "pool \"\(later.pool)\": \(later.range) overlaps its own range \(earlier.range) (\(written))"
                    : "pool \"\(later.pool)\": \(later.range) overlaps \(earlier.range) of pool \"\(earlier.pool)\" (\(written))",
                hint: "an address may belong to one pool only")
        }
    }
}
