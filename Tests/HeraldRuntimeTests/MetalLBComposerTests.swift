import HeraldConfig
import HeraldConfigModel
import HeraldKubeModels
import HeraldMetalLB
import HeraldPluginHost
import HeraldRuntime
import Testing

/// MetalLB mode without a cluster: objects as the API server sends them, derived as `herald convert` derives them,
/// composed with herald.yaml and plugins.d.
@Suite struct MetalLBComposerTests {
    static func objects(addresses: [String], pools: [String] = ["p"]) -> MetalLBObjectSet {
        var set = MetalLBObjectSet()
        set.add([
            MetalLBResource<MetalLBKinds.IPAddressPool>(
                metadata: ObjectMeta(name: "p", namespace: "mlb"),
                spec: .object(["addresses": .array(addresses.map { .string($0) })]))
        ])
        set.add([
            MetalLBResource<MetalLBKinds.L2Advertisement>(
                metadata: ObjectMeta(name: "l2", namespace: "mlb"),
                spec: .object(["ipAddressPools": .array(pools.map { .string($0) })]))
        ])
        return set
    }

    @Test func objectsDeriveWhatConvertDerives() throws {
        let (derived, _) = try MetalLBSource.derive(
            Self.objects(addresses: ["192.0.2.0/28"]), namespace: "mlb", passwordDirectory: "/tmp/x"
        ).get()
        #expect(derived.configuration.pools.map(\.name) == ["p"])
        #expect(derived.configuration.advertisements.map(\.plugin) == ["arp"])
        #expect(derived.plugins.map(\.library) == ["herald-arp"])
    }

    /// A BGPPeer with a `passwordSecret`, beside the namespace's basic-auth Secrets as the API server sends them.
    static func peer(secret: String, secrets: [Secret]) -> MetalLBObjectSet {
        var set = MetalLBObjectSet()
        set.add([
            MetalLBResource<MetalLBKinds.BGPPeer>(
                metadata: ObjectMeta(name: "up", namespace: "mlb"),
                spec: .object([
                    "myASN": .number(64513), "peerASN": .number(64512), "peerAddress": .string("192.0.2.1"),
                    "passwordSecret": .object(["name": .string(secret)]),
                ]))
        ])
        set.add(secrets: secrets)
        return set
    }

    @Test func aPasswordSecretReadLiveBecomesThePeersPasswordFileAndOnlyItsPasswordKeyIsKept() throws {
        let secret = Secret(
            metadata: ObjectMeta(name: "pw", namespace: "mlb"), type: Secret.basicAuth,
            data: ["password": "czNjcmV0", "username": "YWRtaW4="])
        let objects = Self.peer(secret: "pw", secrets: [secret])
        #expect(!objects.documents.contains { $0.text.contains("YWRtaW4=") }, "a key other than password was kept")
        #expect(!"\(secret)".contains("czNjcmV0"), "a Secret's description shows a value")
        let (derived, files) = try MetalLBSource.derive(objects, namespace: "mlb", passwordDirectory: "/run/x").get()
        #expect(files.map(\.path) == ["/run/x/bgp-up.password"])
        #expect(files.map(\.password) == ["s3cret"])
        #expect(derived.plugins.map(\.library) == ["herald-bgp"])
    }

    @Test func aPasswordSecretNamingNoBasicAuthSecretIsInvalidLive() {
        let objects = Self.peer(secret: "missing", secrets: [])
        guard case .failure(let errors) = MetalLBSource.derive(objects, namespace: "mlb", passwordDirectory: "/run/x")
        else {
            Issue.record("accepted")
            return
        }
        let text = errors.diagnostics.map(\.description).joined(separator: "\n")
        #expect(text.contains("passwordSecret") && text.contains("kubernetes.io/basic-auth"), "\(text)")
        #expect(errors.diagnostics.compactMap { objects.reference(of: $0)?.kind } == ["BGPPeer"], "\(text)")
    }

    @Test func anInvalidObjectIsNamedWithItsField() {
        let objects = Self.objects(addresses: ["192.0.2.0/33"], pools: ["missing"])
        guard case .failure(let errors) = MetalLBSource.derive(objects, namespace: "mlb", passwordDirectory: "/tmp/x")
        else {
            Issue.record("accepted")
            return
        }
        let references = Set(errors.diagnostics.compactMap { objects.reference(of: $0)?.name })
        #expect(references == ["p", "l2"], "\(errors)")
        #expect(errors.diagnostics.contains { $0.description.contains("spec.addresses[0]") }, "\(errors)")
    }

    @Test func pluginsDComplementsTheDerivedInstance() throws {
        let (derived, _) = try MetalLBSource.derive(
            Self.objects(addresses: ["192.0.2.0/28"]), namespace: "mlb", passwordDirectory: "/tmp/x"
        ).get()
        let arp = PluginDirectory.Entry(
            file: "plugins.d/arp.yaml",
            text: "name: arp\nlibrary: herald-arp\nconfig: {interfaces: [\"eth*\"]}\n")
        let log = PluginDirectory.Entry(file: "plugins.d/log.yaml", text: "name: log\nlibrary: herald-log\n")
        let composed = MetalLBComposer.compose(
            base: HeraldConfiguration(), entries: [arp, log], derived: derived, withPlugins: true)
        #expect(composed.config.pools.map(\.name) == ["p"])
        let specs = composed.entries.compactMap { try? $0.spec.get() }
        #expect(specs.map(\.name).sorted() == ["arp", "log"])
        let merged = try #require(specs.first { $0.name == "arp" })
        #expect(merged.file == "plugins.d/arp.yaml")
        #expect(merged.configJSON == "{\"interfaces\":[\"eth*\"]}")
        #expect(
            MetalLBComposer.merged("{\"myASN\":1,\"holdTime\":9}", "{\"myASN\":64500}")
                == "{\"holdTime\":9,\"myASN\":64500}")
    }
}
