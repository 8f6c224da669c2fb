import Foundation
import HeraldTestSupport
import Testing

/// `herald convert` end to end: MetalLB's manifests in, files `herald check` accepts out.
@Suite struct ConvertCLITests {
    static let fixtures = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/MetalLB").path
    let herald: String
    let dir: String

    init() throws {
        herald = try TestSupport.product("herald")
        dir = try TestSupport.temporaryDirectory("herald-convert")
    }

    func check(_ output: String) throws -> TestSupport.Output {
        try TestSupport.run([
            herald, "check", "--config", "\(output)/herald.yaml", "--plugins-dir", "\(output)/plugins.d",
        ])
    }

    @Test(arguments: [
        ("layer2-simple.yaml", "1 pools, 2 advertisements"),
        ("pool-service-allocation.yaml", "2 pools, 2 advertisements"),
        ("bgp-session.yaml", "1 pools, 1 advertisements"),
        ("bgp-communities.yaml", "1 pools, 2 advertisements"),
        ("bgp-node-selector.yaml", "1 pools, 1 advertisements"),
        ("bgp-bfd.yaml", "1 pools, 1 advertisements"),
        ("bgp-passwords.yaml", "1 pools, 1 advertisements"),
        ("legacy-layer2.yaml", "1 pools, 1 advertisements"),
        ("legacy-bgp.yaml", "1 pools, 2 advertisements"),
    ])
    func convertedFixturePassesHeraldCheck(_ fixture: String, _ summary: String) throws {
        let output = "\(dir)/out"
        let converted = try TestSupport.run([herald, "convert", "--output", output, "\(Self.fixtures)/\(fixture)"])
        #expect(converted.status == 0, "\(converted.stderr)")
        #expect(converted.stdout.isEmpty)
        #expect(converted.stderr.contains("wrote \(output)/herald.yaml"))
        if fixture == "bgp-passwords.yaml" {
            // The Secret's password is the operator's to write, where the plugin file says.
            let path = "\(output)/bgp-secret-peer.password"
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(FileManager.default.createFile(atPath: path, contents: Data("from-the-secret\n".utf8)))
            chmod(path, 0o600)
        }
        let checked = try check(output)
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        #expect(checked.stdout.contains("ok: \(output)/herald.yaml: \(summary), 0 static VIPs"), "\(checked.stdout)")
    }

    @Test func literalPasswordIsWrittenWithMode0600AndNeverPrinted() throws {
        let output = "\(dir)/out"
        let converted = try TestSupport.run([
            herald, "convert", "--output", output, "\(Self.fixtures)/bgp-passwords.yaml",
        ])
        #expect(converted.status == 0, "\(converted.stderr)")
        let path = "\(output)/bgp-literal-peer.password"
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "s3cr3t-md5")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let bgp = try String(contentsOfFile: "\(output)/plugins.d/bgp.yaml", encoding: .utf8)
        #expect(bgp.contains("passwordFile: \"\(path)\""))
        #expect(!converted.stderr.contains("s3cr3t") && !bgp.contains("s3cr3t"))
        #expect(converted.stderr.contains("spec.passwordSecret names Secret metallb-system/bgp-auth"))
    }

    @Test func printsTheFilesWithoutOutput() throws {
        let out = try TestSupport.run([
            herald, "convert", "\(Self.fixtures)/bgp-passwords.yaml", "\(Self.fixtures)/layer2-simple.yaml",
        ])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("# file: herald.yaml\n# Converted from MetalLB's configuration by herald convert"))
        for name in ["plugins.d/arp.yaml", "plugins.d/ndp.yaml", "plugins.d/bgp.yaml"] {
            #expect(out.stdout.contains("---\n# file: \(name)\n"))
        }
        #expect(!out.stdout.contains("s3cr3t") && !out.stderr.contains("s3cr3t"))
        #expect(
            out.stderr.contains(
                "bgp-passwords.yaml:32:13: warning: BGPPeer \"literal-peer\": the password is not written without "
                    + "--output: write it to /etc/herald/bgp-literal-peer.password (mode 0600) before Herald starts"))
        // Each warning is also a comment at the top of herald.yaml.
        #expect(
            out.stdout.contains("#   \(Self.fixtures)/layer2-simple.yaml:9:5: warning: IPAddressPool \"first-pool\""))
        #expect(out.stderr.contains("converted: 2 pools, 3 advertisements, 3 plugin instances; 3 not converted"))
    }

    @Test func readsStandardInput() throws {
        let out = try TestSupport.run(
            ["/bin/sh", "-c", "\"$0\" convert - < \"$1\"", herald, "\(Self.fixtures)/legacy-layer2.yaml"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("# Converted from MetalLB's configuration by herald convert (<stdin>).\n"))
        #expect(out.stdout.contains("  - name: \"default\"\n    plugin: \"arp\"\n    pools: [\"default\"]\n"))
    }

    @Test func warningsNameTheirPlaceAndExitZero() throws {
        // The BFD fixture with the Echo function on, which Herald's BFD does not run.
        let fixture = try String(contentsOfFile: "\(Self.fixtures)/bgp-bfd.yaml", encoding: .utf8)
        try fixture.replacingOccurrences(of: "echoMode: false", with: "echoMode: true")
            .write(toFile: "\(dir)/bfd-echo.yaml", atomically: true, encoding: .utf8)
        let out = try TestSupport.run([herald, "convert", "--output", "\(dir)/out", "\(dir)/bfd-echo.yaml"])
        #expect(out.status == 0)
        let warnings = out.stderr.split(separator: "\n").filter { $0.contains(": warning: ") }
        #expect(
            warnings == [
                "\(dir)/bfd-echo.yaml:11:13: warning: BFDProfile \"fast\": spec.echoMode is not supported by Herald's "
                    + "BFD (no Echo function); the sessions run without it"
            ])
        let config = try String(contentsOfFile: "\(dir)/out/herald.yaml", encoding: .utf8)
        #expect(config.contains("# Not converted:\n#   \(warnings.first ?? "-")\n"), "\(config)")
    }

    @Test func invalidInputExitsNonZeroAndWritesNothing() throws {
        try """
        apiVersion: metallb.io/v1beta1
        kind: IPAddressPool
        metadata: {name: bad}
        spec:
          addresses: [192.0.2.0/33]
        ---
        apiVersion: metallb.io/v1beta1
        kind: L2Advertisement
        metadata: {name: l2}
        spec: {ipAddressPools: [missing]}
        """.write(toFile: "\(dir)/bad.yaml", atomically: true, encoding: .utf8)
        let out = try TestSupport.run([herald, "convert", "--output", "\(dir)/out", "\(dir)/bad.yaml"])
        #expect(out.status == 1)
        #expect(
            out.stderr.split(separator: "\n").map(String.init) == [
                "\(dir)/bad.yaml:5:15: error: IPAddressPool \"bad\": spec.addresses[0] is invalid: prefix length \"33\" "
                    + "must be 0...32",
                "\(dir)/bad.yaml:10:25: error: L2Advertisement \"l2\": spec.ipAddressPools[0] names IPAddressPool "
                    + "\"missing\", which is not defined (defined pools: bad)",
                "2 problems found; nothing written",
            ])
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/out"))
        let missing = try TestSupport.run([herald, "convert", "\(dir)/nothing.yaml"])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("\(dir)/nothing.yaml:1:1: error: the file does not exist"))
    }
}
