import Foundation
import HeraldConfigModel
import HeraldMetalLB
import Testing

/// Invalid input is an error with its place; what Herald cannot express is a warning with its place and reason.
@Suite struct ProblemsTests {
    static let pool = """
        apiVersion: metallb.io/v1beta1
        kind: IPAddressPool
        metadata:
          name: p
        spec:
          addresses: [192.0.2.0/24]

        """

    @Test func badCIDRIsAnError() {
        let result = Fixture.convert(text: Self.pool.replacingOccurrences(of: "192.0.2.0/24", with: "192.0.2.0/33"))
        #expect(
            result.errors == [
                "input.yaml:6:15: error: IPAddressPool \"p\": spec.addresses[0] is invalid: prefix length \"33\" must be 0...32"
            ])
    }

    @Test func unknownPoolReferenceIsAnError() {
        let result = Fixture.convert(
            text: Self.pool + """
                ---
                apiVersion: metallb.io/v1beta1
                kind: L2Advertisement
                metadata: {name: l2}
                spec:
                  ipAddressPools: [p, q]
                """)
        #expect(
            result.errors == [
                "input.yaml:12:23: error: L2Advertisement \"l2\": spec.ipAddressPools[1] names IPAddressPool \"q\", "
                    + "which is not defined (did you mean \"p\"?)"
            ])
    }

    @Test func unknownPeerAndCommunityAreErrors() {
        let result = Fixture.convert(
            text: Self.pool + """
                ---
                apiVersion: metallb.io/v1beta1
                kind: BGPAdvertisement
                metadata: {name: ad}
                spec:
                  peers: [nobody]
                  communities: [nonsense, "1:70000"]
                """)
        #expect(result.errors.count == 3)
        #expect(
            result.errors[0].hasPrefix(
                "input.yaml:12:11: error: BGPAdvertisement \"ad\": spec.peers[0] names BGPPeer \"nobody\""))
        #expect(
            result.errors[1].hasPrefix(
                "input.yaml:13:17: error: BGPAdvertisement \"ad\": spec.communities[0] \"nonsense\""))
        #expect(
            result.errors[2].hasPrefix(
                "input.yaml:13:27: error: BGPAdvertisement \"ad\": spec.communities[1] \"1:70000\""))
    }

    @Test func overlappingPoolsAreAnError() {
        let result = Fixture.convert(
            text: Self.pool + "---\n"
                + Self.pool.replacingOccurrences(of: "name: p", with: "name: p2")
                .replacingOccurrences(of: "192.0.2.0/24", with: "192.0.2.128/25"))
        #expect(result.errors.count == 1)
        #expect(
            result.errors.first?.hasPrefix(
                "input.yaml:13:15: error: IPAddressPool \"p2\": spec.addresses[0] (192.0.2.128-192.0.2.255) overlaps")
                == true)
    }

    @Test func duplicateNamesAreAnError() {
        let result = Fixture.convert(text: Self.pool + "---\n" + Self.pool)
        #expect(
            result.errors == [
                "input.yaml:8:1: error: IPAddressPool \"p\" has the name of another IPAddressPool, written at input.yaml:1:1"
            ])
    }

    @Test func invalidYAMLAndTypesAreErrors() {
        #expect(
            Fixture.convert(text: "kind: [\n").errors.first?.hasPrefix("input.yaml:2:1: error: invalid YAML") == true)
        let result = Fixture.convert(
            text: """
                apiVersion: metallb.io/v1beta2
                kind: BGPPeer
                metadata: {name: r}
                spec: {myASN: 64500, peerASN: many, peerAddress: 10.0.0.1, holdTime: soon}
                """)
        #expect(
            result.errors == [
                "input.yaml:4:31: error: spec.peerASN must be an integer, found a string (\"many\")",
                "input.yaml:4:70: error: spec.holdTime \"soon\" is not a duration such as 90s or 1m30s",
            ])
    }

    @Test func unknownFieldsAndOtherKindsAreReported() {
        let result = Fixture.convert(
            text: Self.pool.replacingOccurrences(of: "  addresses:", with: "  autoAsign: false\n  addresses:") + """
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: s}
                """)
        #expect(result.errors.isEmpty)
        #expect(
            result.warnings == [
                "input.yaml:6:3: warning: IPAddressPool \"p\": spec.autoAsign is not a field herald convert knows; not "
                    + "converted (did you mean \"autoAssign\"?)",
                "input.yaml:9:1: warning: Service (v1) is not MetalLB configuration; skipped",
            ])
    }

    @Test func unsupportedPeersAreReportedAndLeftOut() {
        let result = Fixture.convert(
            text: Self.pool + """
                ---
                apiVersion: metallb.io/v1beta2
                kind: BGPPeer
                metadata: {name: dynamic}
                spec: {myASN: 64500, dynamicASN: external, peerAddress: 10.0.0.1}
                ---
                apiVersion: metallb.io/v1beta2
                kind: BGPPeer
                metadata: {name: unnumbered}
                spec: {myASN: 64500, peerASN: 64501, interface: eth0}
                ---
                apiVersion: metallb.io/v1beta1
                kind: BGPAdvertisement
                metadata: {name: ad}
                """)
        #expect(result.errors.isEmpty)
        #expect(result.conversion.plugins.isEmpty)
        #expect(result.config.advertisements.isEmpty)
        #expect(result.warnings.count == 3)
        #expect(
            result.warnings[0].hasPrefix(
                "input.yaml:11:34: warning: BGPPeer \"dynamic\": spec.dynamicASN (external) is not supported"))
        #expect(
            result.warnings[1].hasPrefix(
                "input.yaml:16:49: warning: BGPPeer \"unnumbered\": spec.interface (BGP unnumbered over eth0)"))
        #expect(
            result.warnings[2]
                == "input.yaml:18:1: warning: BGPAdvertisement \"ad\" is not converted: none of the BGPPeers it announces to could be converted"
        )
    }

    @Test func poolSelectorMatchingNothingCoversNoPool() {
        // In Herald an advertisement without pools covers every pool: one whose selector matches none is left out.
        let result = Fixture.convert(
            text: Self.pool + """
                ---
                apiVersion: metallb.io/v1beta1
                kind: L2Advertisement
                metadata: {name: l2}
                spec:
                  ipAddressPoolSelectors: [{matchLabels: {tier: gold}}]
                """)
        #expect(result.errors.isEmpty)
        #expect(result.config.advertisements.isEmpty && result.conversion.plugins.isEmpty)
        #expect(
            result.warnings == [
                "input.yaml:12:27: warning: L2Advertisement \"l2\": spec.ipAddressPoolSelectors selects no "
                    + "IPAddressPool, so the advertisement covers none; not converted"
            ])
    }

    @Test func keepaliveAboveAThirdOfHoldTimeIsLeftToThePlugin() throws {
        let result = Fixture.convert(
            text: Self.pool + """
                ---
                apiVersion: metallb.io/v1beta2
                kind: BGPPeer
                metadata: {name: r}
                spec: {myASN: 64500, peerASN: 64501, peerAddress: 10.0.0.1, holdTime: 90s, keepaliveTime: 60s}
                """)
        #expect(result.speaker("bgp")?.peers.first?.keepaliveTime == nil)
        #expect(result.warnings.count == 1)
        #expect(
            result.warnings.first?.hasPrefix(
                "input.yaml:11:91: warning: BGPPeer \"r\": spec.keepaliveTime (60s) is not converted") == true)
    }

    @Test func disableMPFalseIsReportedAndTrueIsHeraldsWay() {
        let peer = """
            ---
            apiVersion: metallb.io/v1beta2
            kind: BGPPeer
            metadata: {name: r}
            spec: {myASN: 64500, peerASN: 64501, peerAddress: 10.0.0.1, disableMP: MP}

            """
        let off = Fixture.convert(text: Self.pool + peer.replacingOccurrences(of: "MP}", with: "true}"))
        #expect(off.warnings.isEmpty && off.speaker("bgp")?.peers.first?.families == nil)
        let on = Fixture.convert(text: Self.pool + peer.replacingOccurrences(of: "MP}", with: "false}"))
        #expect(on.speaker("bgp")?.peers.first?.families == nil)
        #expect(on.warnings.count == 1)
        #expect(
            on.warnings.first?.hasPrefix("input.yaml:11:72: warning: BGPPeer \"r\": spec.disableMP (false)") == true)
    }

    @Test func peersWithDifferentASNsGetSpeakersOfTheirOwn() {
        let peer = """
            ---
            apiVersion: metallb.io/v1beta2
            kind: BGPPeer
            metadata: {name: NAME}
            spec: {myASN: LOCAL, peerASN: 64501, peerAddress: 10.0.0.1}

            """
        let text =
            Self.pool
            + peer.replacingOccurrences(of: "NAME", with: "a").replacingOccurrences(of: "LOCAL", with: "64500")
            + peer.replacingOccurrences(of: "NAME", with: "b").replacingOccurrences(of: "LOCAL", with: "64510")
            + "---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: ad}\n"
        let result = Fixture.convert(text: text)
        #expect(result.errors.isEmpty)
        #expect(result.speaker("bgp")?.myASN == 64500)
        #expect(result.speaker("bgp-2")?.myASN == 64510)
        #expect(result.config.advertisements.map(\.name) == ["ad-bgp", "ad-bgp-2"])
    }

    @Test func legacyPlacesAreInTheFile() {
        let result = Fixture.convert(
            text: """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: config, namespace: metallb-system}
                data:
                  config: |
                    address-pools:
                    - name: default
                      protocol: layer2
                      auto-asign: false
                      addresses: [192.0.2.0/33]
                """)
        #expect(
            result.warnings == [
                "input.yaml:9:7: warning: ConfigMap \"metallb-system/config\": address-pools[0].auto-asign is not a "
                    + "field herald convert knows; not converted (did you mean \"auto-assign\"?)"
            ])
        let errors = Fixture.convert(
            text: """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: config, namespace: metallb-system}
                data:
                  config: |
                    address-pools:
                    - name: default
                      protocol: layer2
                      addresses: [192.0.2.0/33]
                """
        ).errors
        #expect(
            errors == [
                "input.yaml:9:19: error: ConfigMap \"metallb-system/config\" address pool \"default\": "
                    + "address-pools[0].addresses[0] is invalid: prefix length \"33\" must be 0...32"
            ])
        // A string that is not a literal block: places within the string, after the string's place.
        let quoted = Fixture.convert(
            text: """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: config}
                data: {config: "address-pools: [{name: x, protocol: carrier-pigeon, addresses: [192.0.2.0/24]}]"}
                """
        ).errors
        #expect(
            quoted == [
                "input.yaml:4:16 data.config:1:37: error: ConfigMap \"config\": address-pools[0].protocol "
                    + "\"carrier-pigeon\" is not layer2 or bgp"
            ])
    }

    @Test func goDurations() {
        #expect(GoDuration.parse("90s") == .seconds(90))
        #expect(GoDuration.parse("1m30s") == .seconds(90))
        #expect(GoDuration.parse("1.5h") == .seconds(5400))
        #expect(GoDuration.parse("300ms") == .milliseconds(300))
        #expect(GoDuration.parse("0") == .zero)
        for bad in ["", "90", "s", "1x", "-5s", "1..5s"] { #expect(GoDuration.parse(bad) == nil, "\(bad)") }
    }
}
