import HeraldConfig
import HeraldConfigModel
import HeraldCore
import Testing

@Suite struct ConfigParserTests {
    static let valid = """
        apiVersion: herald.dev/v1
        kind: HeraldConfig
        node:
          name: edge-1
          labels: {zone: a}
        pools:
          - name: public
            addresses: [192.0.2.0/28, "198.51.100.10-198.51.100.20"]
            avoidBuggyIPs: true
            serviceAllocation:
              priority: 10
              namespaces: [web]
              namespaceSelectors:
                - matchLabels: {team: web}
              serviceSelectors:
                - matchExpressions:
                    - {key: tier, operator: In, values: [front]}
          - name: v6
            addresses: ["2001:db8:1::/120"]
            autoAssign: false
        advertisements:
          - name: l2
            plugin: arp
            pools: [public]
            nodeSelectors:
              - matchLabels: {zone: a}
          - name: bgp
            plugin: bgp
            aggregationLength: 28
            aggregationLengthV6: 120
            attributes:
              communities: ["64512:100"]
              localPreference: 200
              enabled: true
        staticVIPs:
          - name: web
            address: 192.0.2.10
          - name: dns
            address: "2001:db8:1::53"
            services: [kube-system/dns]
            advertisements: [bgp]
        """

    @Test func parsesAValidFile() throws {
        let config = try ConfigParser.parse(Self.valid, file: "herald.yaml", pluginInstances: ["arp", "bgp"]).get()
        #expect(config.node.name == "edge-1")
        #expect(config.node.labels == ["zone": "a"])
        #expect(config.pools.map(\.name) == ["public", "v6"])
        #expect(config.pools[0].ranges.map(\.description) == ["192.0.2.0-192.0.2.15", "198.51.100.10-198.51.100.20"])
        #expect(config.pools[0].avoidBuggyIPs)
        #expect(config.pools[0].autoAssign)
        #expect(!config.pools[1].autoAssign)
        let sa = try #require(config.pools[0].serviceAllocation)
        #expect(sa.priority == 10)
        #expect(sa.namespaces == ["web"])
        #expect(sa.namespaceSelectors == [LabelSelector(matchLabels: ["team": "web"])])
        #expect(sa.serviceSelectors.first?.matchExpressions == [.init(key: "tier", op: .in, values: ["front"])])
        #expect(config.advertisements[0].selects(nodeLabels: ["zone": "a"]))
        #expect(!config.advertisements[0].selects(nodeLabels: ["zone": "b"]))
        #expect(config.advertisements[1].aggregationLength == 28)
        #expect(
            config.advertisements[1].attributesJSON
                == #"{"communities":["64512:100"],"localPreference":200,"enabled":true}"#)
        #expect(config.staticVIPs[0].services == ["static/web"])
        #expect(config.staticVIPs[1].services == ["kube-system/dns"])
        #expect(config.pool(containing: IPAddress("198.51.100.15")!)?.name == "public")
        #expect(config.warnings.isEmpty)
    }

    /// `sharingScope` at the top applies to every pool that sets none; a pool's own overrides it; unset is
    /// `cluster` (MetalLB's rule: the key alone is the permission).
    @Test func sharingScopeIsGlobalWithAPerPoolOverride() throws {
        let text = """
            apiVersion: herald.dev/v1
            sharingScope: namespace
            pools:
              - {name: a, addresses: [192.0.2.0/28]}
              - {name: b, addresses: [192.0.2.16/28], sharingScope: cluster}
            """
        let config = try ConfigParser.parse(text, file: "herald.yaml").get()
        #expect(config.sharingScope == .namespace)
        #expect(config.pools.map(\.sharingScope) == [.namespace, .cluster])
        let defaults = try ConfigParser.parse(
            "apiVersion: herald.dev/v1\npools:\n  - {name: a, addresses: [192.0.2.0/28], sharingScope: namespace}\n"
                + "  - {name: b, addresses: [192.0.2.16/28]}\n",
            file: "herald.yaml"
        ).get()
        #expect(defaults.sharingScope == .cluster)
        #expect(defaults.pools.map(\.sharingScope) == [.namespace, .cluster])
    }

    @Test func aBadSharingScopeIsLocated() {
        let text = """
            apiVersion: herald.dev/v1
            sharingScope: tenant
            pools:
              - name: a
                addresses: [192.0.2.0/28]
                sharingScope: [namespace]
              - name: b
                addresses: [192.0.2.16/28]
                sharingScope: Namespace
            """
        let hint =
            " (cluster: any Service with the same allow-shared-ip key may share an address (MetalLB's rule); "
            + "namespace: only Services of one namespace may)"
        #expect(
            ConfigParser.parse(text, file: "herald.yaml").failureLines == [
                "herald.yaml:2:15: error: sharingScope \"tenant\" is not one of cluster, namespace" + hint,
                "herald.yaml:6:19: error: pools[0].sharingScope must be a string, found a list",
                "herald.yaml:9:19: error: pools[1].sharingScope \"Namespace\" is not one of cluster, namespace" + hint,
            ])
    }

    /// Every mistake in the file is reported at once, each at its own line and column.
    @Test func reportsEveryErrorWithItsLocation() {
        let broken = """
            apiVersion: herald.dev/v1
            pools:
              - name: a
                adresses: [192.0.2.0/24]
              - name: b
                addresses: [192.0.2.0/33, 10.0.0.0/8, "10.1.0.0-10.2.0.0"]
                autoAssign: "yes"
              - name: c
                addresses: [not-an-ip]
            advertisements:
              - name: l2
                plugin: arp
                pools: [b, missing]
                aggregationLength: 40
            staticVIPs:
              - name: web
                address: 203.0.113.5
            """
        let errors = ConfigParser.parse(broken, file: "herald.yaml", pluginInstances: ["bgp"]).failureLines
        #expect(
            errors == [
                "herald.yaml:3:5: error: pools[0] is missing the required key \"addresses\"",
                "herald.yaml:4:5: error: unknown key \"adresses\" in pools[0] (did you mean \"addresses\"?)",
                "herald.yaml:6:17: error: pools[1].addresses[0]: prefix length \"33\" must be 0...32",
                "herald.yaml:7:17: error: pools[1].autoAssign must be true or false, found a string (\"yes\")",
                "herald.yaml:9:17: error: pools[2].addresses[0]: \"not-an-ip\" is not an address, a CIDR or an a-b range",
                "herald.yaml:12:13: error: advertisements[0].plugin names plugin instance \"arp\", which is not in plugins.d (enabled instances: bgp)",
                "herald.yaml:13:16: error: advertisements[0].pools[1] names pool \"missing\", which is not defined (defined pools: a, b, c)",
                "herald.yaml:14:24: error: advertisements[0].aggregationLength is out of range: it must be between 0 and 32, found 40",
            ])
    }

    @Test func overlappingPoolsNameBothPlaces() {
        let text = """
            apiVersion: herald.dev/v1
            pools:
              - name: a
                addresses: [192.0.2.0/24]
              - name: b
                addresses: [192.0.2.128/25]
              - name: c
                addresses: [10.0.0.0/24, 10.0.0.5]
            """
        #expect(
            ConfigParser.parse(text, file: "f.yaml").failureLines == [
                "f.yaml:6:17: error: pool \"b\": 192.0.2.128-192.0.2.255 overlaps 192.0.2.0-192.0.2.255 of pool \"a\" (written at line 4, column 17) (an address may belong to one pool only)",
                "f.yaml:8:30: error: pool \"c\": 10.0.0.5 overlaps its own range 10.0.0.0-10.0.0.255 (written at line 8, column 17) (an address may belong to one pool only)",
            ])
    }

    @Test func wrongTypesAndDuplicates() {
        let text = """
            apiVersion: herald.dev/v2
            kind: Something
            pools: {name: a}
            advertisements:
              - name: x
                plugin: log
              - name: x
                plugin: log
            staticVIPs:
              - {name: a, address: 192.0.2.1, services: [bad]}
            node:
              name: Not_Valid
            """
        #expect(
            ConfigParser.parse(text, file: "f.yaml").failureLines
                == [
                    "f.yaml:1:13: error: apiVersion \"herald.dev/v2\" is not supported (this Herald reads apiVersion: herald.dev/v1)",
                    "f.yaml:2:7: error: kind \"Something\" is not HeraldConfig",
                    "f.yaml:3:8: error: pools must be a list, found a mapping",
                    "f.yaml:7:5: error: advertisement \"x\" is defined twice",
                    "f.yaml:10:46: error: staticVIPs[0].services: \"bad\" is not namespace/name",
                    "f.yaml:12:9: error: node.name \"Not_Valid\" is not a valid name (use lowercase letters, digits, '-' and '.')",
                ].sortedByLocation)
    }

    @Test func invalidYAMLIsLocated() {
        let errors = ConfigParser.parse("apiVersion: herald.dev/v1\npools:\n  - name: [unclosed\n", file: "f.yaml")
            .failureLines
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("f.yaml:4:1: error: invalid YAML:") == true)
        #expect(
            ConfigParser.parse("", file: "e.yaml").failureLines == [
                "e.yaml:1:1: error: the file is empty (see the examples in the README)"
            ])
        #expect(
            ConfigParser.parse("- 1\n", file: "l.yaml").failureLines == [
                "l.yaml:1:1: error: the configuration must be a mapping (key: value), found a list"
            ])
    }

    @Test func selectorsAreValidated() {
        let text = """
            apiVersion: herald.dev/v1
            advertisements:
              - name: x
                plugin: log
                nodeSelectors:
                  - matchExpressions:
                      - {key: a, operator: Maybe}
                      - {key: b, operator: In}
                      - {key: c, operator: Exists, values: [x]}
            """
        #expect(
            ConfigParser.parse(text, file: "f.yaml").failureLines == [
                "f.yaml:7:32: error: advertisements[0].nodeSelectors[0].matchExpressions[0].operator \"Maybe\" is not one of In, NotIn, Exists, DoesNotExist",
                "f.yaml:8:13: error: advertisements[0].nodeSelectors[0].matchExpressions[1] uses In and needs a non-empty \"values\" list",
                "f.yaml:9:48: error: advertisements[0].nodeSelectors[0].matchExpressions[2] uses Exists, which takes no \"values\"",
            ])
    }
}

@Suite struct PluginInstanceSpecTests {
    @Test func parsesAndConvertsConfigToJSON() throws {
        let text = """
            name: edge
            library: herald-exec
            config:
              announce: [/usr/local/bin/up, "--flag"]
              timeoutSeconds: 5
              nested: {a: null, b: 1.5, c: "quote\\"d"}
            """
        let spec = try PluginInstanceSpec.parse(text, file: "plugins.d/10-edge.yaml").get()
        #expect(spec.name == "edge")
        #expect(spec.library == "herald-exec")
        #expect(spec.enabled)
        #expect(
            spec.configJSON
                == #"{"announce":["/usr/local/bin/up","--flag"],"timeoutSeconds":5,"nested":{"a":null,"b":1.5,"c":"quote\"d"}}"#
        )
    }

    @Test func reportsUnknownKeysWrongTypesAndMissingFields() {
        let text = """
            name: edge
            libary: herald-exec
            enabled: maybe
            config: [1, 2]
            """
        #expect(
            PluginInstanceSpec.parse(text, file: "p.yaml").failureLines == [
                "p.yaml:1:1: error: the plugin instance is missing the required key \"library\"",
                "p.yaml:2:1: error: unknown key \"libary\" in the plugin instance (did you mean \"library\"?)",
                "p.yaml:3:10: error: enabled must be true or false, found a string (\"maybe\")",
                "p.yaml:4:9: error: config must be a mapping, found a list",
            ])
    }

    @Test func badYAML() {
        let lines = PluginInstanceSpec.parse("name: x\nlibrary: [y\n", file: "p.yaml").failureLines
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("p.yaml:3:1: error: invalid YAML:") == true)
    }
}

extension Result where Failure == ConfigErrors {
    var failureLines: [String] {
        if case .failure(let errors) = self { return errors.diagnostics.map(\.description) }
        return ["(parsed without errors)"]
    }
}

extension Array where Element == String {
    /// Sorts `file:line:column: …` lines the way ConfigErrors does.
    var sortedByLocation: [String] {
        sorted { a, b in
            func key(_ s: String) -> (Int, Int) {
                let parts = s.split(separator: ":")
                return (Int(parts[1]) ?? 0, Int(parts[2]) ?? 0)
            }
            return key(a) < key(b)
        }
    }
}
