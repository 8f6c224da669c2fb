import HeraldConfig
import HeraldConfigModel
import HeraldCore
import HeraldMetalLB
import Testing

/// MetalLB's documented setups, converted: what Herald's configuration says, what is reported as not converted and
/// where, and that Herald's own parsers read the result back to the same configuration.
@Suite struct ConversionTests {
    static let fixtures = [
        "layer2-simple.yaml", "pool-service-allocation.yaml", "bgp-session.yaml", "bgp-communities.yaml",
        "bgp-node-selector.yaml", "bgp-bfd.yaml", "bgp-passwords.yaml", "legacy-layer2.yaml", "legacy-bgp.yaml",
    ]

    @Test(arguments: fixtures) func everyFixtureConvertsAndReadsBack(_ name: String) throws {
        let result = try Fixture.convert(name)
        #expect(result.errors.isEmpty)
        let (config, plugins) = try Fixture.readBack(result.conversion)
        #expect(config.pools == result.config.pools)
        #expect(config.advertisements == result.config.advertisements)
        #expect(plugins.map(\.name) == result.conversion.plugins.map(\.name))
        #expect(plugins.map(\.library) == result.conversion.plugins.map(\.library))
        #expect(!config.advertisements.isEmpty)
    }

    @Test func layer2Simple() throws {
        let result = try Fixture.convert("layer2-simple.yaml")
        let pool = try #require(result.config.pool(named: "first-pool"))
        #expect(
            pool.ranges.map(\.description) == [
                "192.168.10.0-192.168.10.255", "192.168.9.1-192.168.9.5", "fc00:f853:ccd:e799::-fc00:f853:ccd:e799::f",
            ])
        #expect(pool.autoAssign && !pool.avoidBuggyIPs && pool.serviceAllocation == nil)
        // One advertisement per family; "every pool" stays every pool.
        #expect(result.config.advertisements.map(\.name) == ["example-arp", "example-ndp"])
        #expect(result.config.advertisements.map(\.plugin) == ["arp", "ndp"])
        #expect(result.config.advertisements.allSatisfy { $0.pools.isEmpty && $0.attributesJSON == "{}" })
        #expect(result.conversion.plugins.map(\.library) == ["herald-arp", "herald-ndp"])
        #expect(result.warnings.count == 1)
        #expect(
            result.warnings.first?.hasPrefix("layer2-simple.yaml:9:5: warning: IPAddressPool \"first-pool\": ") == true)
        #expect(result.warnings.first?.contains("holds IPv4 and IPv6 addresses") == true)
        let text = HeraldFiles.render(result.conversion, sources: ["layer2-simple.yaml"])[0].text
        #expect(
            text.contains(
                "    addresses: [\"192.168.10.0/24\", \"192.168.9.1-192.168.9.5\", \"fc00:f853:ccd:e799::/124\"]"))
    }

    @Test func poolWithServiceAllocation() throws {
        let result = try Fixture.convert("pool-service-allocation.yaml")
        let pool = try #require(result.config.pool(named: "team-a"))
        #expect(!pool.autoAssign && pool.avoidBuggyIPs)
        let allocation = try #require(pool.serviceAllocation)
        #expect(allocation.priority == 50)
        #expect(allocation.namespaces == ["team-a"])
        #expect(allocation.namespaceSelectors == [LabelSelector(matchLabels: ["owner": "team-a"])])
        #expect(
            allocation.serviceSelectors == [
                LabelSelector(matchExpressions: [.init(key: "app", op: .in, values: ["web", "api"])])
            ])
        // The selector is resolved against the pools' labels.
        let gold = try #require(result.advertisement("gold"))
        #expect(gold.plugin == "arp" && gold.pools == ["team-a"])
        #expect(gold.nodeSelectors == [LabelSelector(matchLabels: ["kubernetes.io/hostname": "node-a"])])
        #expect(gold.attributesJSON == #"{"interfaces":["eth1"]}"#)
        #expect(result.advertisement("shared")?.pools == ["shared"])
        #expect(
            result.warnings == [
                "pool-service-allocation.yaml:52:5: warning: L2Advertisement \"gold\": spec.serviceSelectors is not "
                    + "converted: a Herald advertisement covers every Service of its pools (give those Services a pool "
                    + "of their own (serviceAllocation) to announce them differently)"
            ])
    }

    @Test func bgpPeerWithSessionOptions() throws {
        let result = try Fixture.convert("bgp-session.yaml")
        #expect(result.conversion.plugins.map(\.name) == ["bgp"])
        let speaker = try #require(result.speaker("bgp"))
        #expect(speaker.myASN == 64500 && speaker.routerID == "10.0.0.11")
        let peer = try #require(speaker.peers.first)
        #expect(peer.address == "10.0.0.1" && peer.asn == 64501 && peer.port == 1179)
        #expect(peer.holdTime == 90 && peer.keepaliveTime == 30)
        #expect(peer.sourceAddress == "10.0.0.11" && peer.vrf == "red" && peer.ebgpMultiHop == 255)
        #expect(peer.gracefulRestart && peer.families == ["ipv4", "ipv6"])
        #expect(peer.nodeSelectors == [LabelSelector(matchLabels: ["rack": "r1"])])
        #expect(peer.passwordFile == nil)
        let ad = try #require(result.advertisement("default"))
        #expect(ad.plugin == "bgp" && ad.pools.isEmpty && ad.aggregationLength == nil)
        #expect(result.warnings.count == 1)
        #expect(
            result.warnings.first?.hasPrefix("bgp-session.yaml:24:16: warning: BGPPeer \"router1\": spec.connectTime")
                == true)
        let (_, plugins) = try Fixture.readBack(result.conversion)
        #expect(plugins.first?.configJSON.contains(#""holdTime":90"#) == true)
        #expect(plugins.first?.configJSON.contains(#""families":["ipv4","ipv6"]"#) == true)
    }

    @Test func communitiesWithAliasesAndLocalPreference() throws {
        let result = try Fixture.convert("bgp-communities.yaml")
        #expect(result.warnings.isEmpty)
        let local = try #require(result.advertisement("local"))
        #expect(local.pools == ["public"])
        #expect(local.aggregationLength == nil && local.aggregationLengthV6 == nil)
        #expect(
            local.attributesJSON
                == #"{"communities":["1234:1","65535:65282","no-export"],"largeCommunities":["64500:1:2"],"localPreference":100}"#
        )
        let external = try #require(result.advertisement("external"))
        #expect(external.aggregationLength == 24 && external.aggregationLengthV6 == 48)
        #expect(external.attributesJSON == "{}")
    }

    @Test func advertisementWithNodeSelectorAndPeers() throws {
        let result = try Fixture.convert("bgp-node-selector.yaml")
        // tor-b is not named by the advertisement, so it is a speaker of its own that announces nothing.
        #expect(result.conversion.plugins.map(\.name) == ["bgp", "bgp-2"])
        #expect(result.speaker("bgp")?.peers.map(\.address) == ["172.30.0.1"])
        #expect(result.speaker("bgp-2")?.peers.map(\.address) == ["172.30.1.1"])
        let ad = try #require(result.advertisement("edge-nodes"))
        #expect(ad.plugin == "bgp" && ad.pools == ["edge"])
        #expect(
            ad.nodeSelectors == [
                LabelSelector(matchLabels: ["kubernetes.io/hostname": "edge-1"]),
                LabelSelector(matchExpressions: [.init(key: "node-role.kubernetes.io/edge", op: .exists)]),
            ])
        #expect(result.config.advertisements.count == 1)
        #expect(result.warnings.isEmpty)
    }

    @Test func peerWithBFDProfile() throws {
        let result = try Fixture.convert("bgp-bfd.yaml")
        let speaker = try #require(result.speaker("bgp"))
        #expect(speaker.peers.map(\.address) == ["10.1.0.1"])
        #expect(speaker.peers.map(\.bfdProfile) == ["fast"])
        var fast = BFDSpeakerProfile(name: "fast")
        fast.receiveInterval = 300
        fast.transmitInterval = 300
        fast.detectMultiplier = 3
        fast.passiveMode = false
        fast.minimumTtl = 254
        #expect(speaker.bfdProfiles == [fast])
        #expect(result.warnings.isEmpty, "\(result.warnings)")
    }

    @Test func peersWithPasswords() throws {
        let result = try Fixture.convert("bgp-passwords.yaml")
        let speaker = try #require(result.speaker("bgp"))
        let secret = try #require(speaker.peers.first { $0.address == "10.2.0.1" })
        #expect(secret.passwordFile == "/etc/herald/bgp-secret-peer.password")
        #expect(secret.passwordNote == "the \"password\" key of Secret metallb-system/bgp-auth")
        let literal = try #require(speaker.peers.first { $0.address == "10.2.0.2" })
        #expect(literal.passwordFile == "/etc/herald/bgp-literal-peer.password")
        #expect(
            result.conversion.passwordFiles == [
                PasswordFile(
                    path: "/etc/herald/bgp-literal-peer.password", password: "s3cr3t-md5",
                    peer: "BGPPeer \"literal-peer\"",
                    location: SourceLocation(file: "bgp-passwords.yaml", line: 32, column: 13))
            ])
        #expect(result.warnings.count == 1)
        #expect(
            result.warnings.first?.hasPrefix(
                "bgp-passwords.yaml:20:5: warning: BGPPeer \"secret-peer\": spec.passwordSecret names Secret "
                    + "metallb-system/bgp-auth, which cannot be read here") == true)
        // The password is in no message and no file but its own.
        let files = HeraldFiles.render(result.conversion, sources: ["bgp-passwords.yaml"])
        #expect(!files.contains { $0.text.contains("s3cr3t") })
        #expect(!result.warnings.contains { $0.contains("s3cr3t") })
        #expect(!"\(result.conversion.passwordFiles)".contains("s3cr3t"))
        let bgp = try #require(files.first { $0.path == "plugins.d/bgp.yaml" }?.text)
        #expect(
            bgp.contains(
                "      # passwordFile: write the \"password\" key of Secret metallb-system/bgp-auth to this file, mode 0600\n"
                    + "      passwordFile: \"/etc/herald/bgp-secret-peer.password\"\n"))
        #expect(
            MetalLBTranslation.translate(result.objects, passwordDirectory: "/srv/herald").passwordFiles.map(\.path)
                == [
                    "/srv/herald/bgp-literal-peer.password"
                ])
    }

    @Test func secretGivenWithTheObjectsIsRead() throws {
        let text = try String(contentsOfFile: "\(Fixture.folder)/bgp-passwords.yaml", encoding: .utf8)
        let secrets = """
            ---
            apiVersion: v1
            kind: Secret
            type: kubernetes.io/basic-auth
            metadata: {name: bgp-auth, namespace: metallb-system}
            data:
              username: dW51c2Vk
              password: ZnJvbS10aGUtc2VjcmV0
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: unrelated, namespace: metallb-system}
            stringData: {password: other}

            """
        let result = Fixture.convert(text: text + secrets, file: "bgp-passwords.yaml")
        #expect(result.errors.isEmpty)
        #expect(
            result.conversion.passwordFiles.map(\.path) == [
                "/etc/herald/bgp-secret-peer.password", "/etc/herald/bgp-literal-peer.password",
            ])
        #expect(result.conversion.passwordFiles.first?.password == "from-the-secret")
        #expect(result.conversion.passwordFiles.first?.location.line == 46)
        #expect(result.speaker("bgp")?.peers.first?.passwordNote == nil)
        #expect(
            result.warnings == [
                "bgp-passwords.yaml:48:1: warning: Secret \"metallb-system/unrelated\" is not the passwordSecret of any "
                    + "BGPPeer; skipped"
            ])
        #expect(!result.warnings.contains { $0.contains("from-the-secret") || $0.contains("ZnJvbS") })
    }

    @Test func legacyLayer2() throws {
        let result = try Fixture.convert("legacy-layer2.yaml")
        #expect(result.warnings.isEmpty)
        let pool = try #require(result.config.pool(named: "default"))
        #expect(pool.ranges.map(\.description) == ["192.168.1.240-192.168.1.250"])
        #expect(result.config.advertisements.map(\.name) == ["default"])
        #expect(result.advertisement("default")?.plugin == "arp")
        #expect(result.advertisement("default")?.pools == ["default"])
    }

    @Test func legacyBGPWithCommunities() throws {
        let result = try Fixture.convert("legacy-bgp.yaml")
        let speaker = try #require(result.speaker("bgp"))
        #expect(speaker.myASN == 64500 && speaker.routerID == "10.0.0.100")
        let peer = try #require(speaker.peers.first)
        #expect(peer.address == "10.0.0.1" && peer.asn == 64501 && peer.holdTime == 120)
        #expect(
            peer.nodeSelectors == [
                LabelSelector(
                    matchLabels: ["rack": "frontend"],
                    matchExpressions: [.init(key: "network-speed", op: .notIn, values: ["slow"])])
            ])
        #expect(result.config.pool(named: "default")?.avoidBuggyIPs == true)
        #expect(result.config.advertisements.map(\.name) == ["default-1", "default-2"])
        // The alias wins over the well-known name it reuses (both mean 65535:65282 here).
        #expect(
            result.advertisement("default-1")?.attributesJSON
                == #"{"communities":["65535:65282"],"localPreference":100}"#)
        #expect(result.advertisement("default-1")?.aggregationLength == nil)
        #expect(result.advertisement("default-2")?.aggregationLength == 24)
        // Places inside the ConfigMap's string are places in the file.
        #expect(result.warnings.isEmpty, "\(result.warnings)")
        // The legacy bfd-profiles become the instance's, named by the peer.
        #expect(speaker.peers.map(\.bfdProfile) == ["slow"])
        #expect(speaker.bfdProfiles.map(\.name) == ["slow"])
    }
}
