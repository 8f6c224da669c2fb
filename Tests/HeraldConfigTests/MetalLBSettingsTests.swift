import HeraldConfig
import HeraldConfigModel
import Testing

/// `metallb: {namespace: NS}` in herald.yaml: read, and exclusive with pools and advertisements.
@Suite struct MetalLBSettingsTests {
    @Test func namespaceIsRead() throws {
        let text = "apiVersion: herald.dev/v1\nkind: HeraldConfig\nmetallb:\n  namespace: metallb-system\n"
        let config = try ConfigParser.parse(text, file: "h.yaml").get()
        #expect(config.metallb == MetalLBSettings(namespace: "metallb-system"))
        #expect(config.pools.isEmpty)
    }

    @Test func poolsAndAdvertisementsBesideItAreErrorsAtTheirPlace() {
        let text = """
            apiVersion: herald.dev/v1
            metallb: {namespace: metallb-system}
            pools:
              - {name: p, addresses: [192.0.2.0/28]}
            advertisements:
              - {name: a, plugin: arp}
            """
        guard case .failure(let errors) = ConfigParser.parse(text, file: "h.yaml") else {
            Issue.record("accepted")
            return
        }
        let lines = errors.diagnostics.map(\.description)
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.first?.hasPrefix("h.yaml:4:3: error: pools cannot be written here when metallb is set") == true)
        #expect(lines.last?.hasPrefix("h.yaml:6:3: error: advertisements cannot be written here") == true)
    }

    @Test func anEmptyNamespaceIsRefused() {
        let text = "apiVersion: herald.dev/v1\nmetallb: {namespace: \"\"}\n"
        guard case .failure(let errors) = ConfigParser.parse(text, file: "h.yaml") else {
            Issue.record("accepted")
            return
        }
        #expect(errors.diagnostics.map(\.message) == ["metallb.namespace must not be empty"])
    }
}
