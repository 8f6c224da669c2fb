import Foundation
import HeraldTestSupport
import Testing

/// herald.yaml and plugins.d are trusted like plugin libraries, and a root Herald says which plugins.d it took from
/// its working folder.
@Suite struct ConfigTrustCLITests {
    let herald: String
    let dir: String

    init() throws {
        herald = try TestSupport.product("herald")
        dir = try TestSupport.temporaryDirectory("herald-trust-cli")
        try FileManager.default.createDirectory(atPath: "\(dir)/plugins.d", withIntermediateDirectories: true)
        try "name: log\nlibrary: herald-log\n".write(
            toFile: "\(dir)/plugins.d/log.yaml", atomically: true, encoding: .utf8)
        try "apiVersion: herald.dev/v1\npools: [{name: p, addresses: [192.0.2.0/28]}]\n"
            .write(toFile: "\(dir)/herald.yaml", atomically: true, encoding: .utf8)
    }

    @Test func checkRefusesAConfigFileOthersMayWrite() throws {
        chmod("\(dir)/herald.yaml", 0o666)
        let out = try TestSupport.run([
            herald, "check", "--config", "\(dir)/herald.yaml", "--plugins-dir", "\(dir)/plugins.d",
        ])
        #expect(out.status == 1)
        #expect(
            out.stderr.contains(
                "\(dir)/herald.yaml:1:1: error: refused: writable by group or others (mode 666), and it chooses what "
                    + "Herald runs with its privileges (run chmod go-w on it)"))
    }

    @Test func checkRefusesAPluginsFileOthersMayWrite() throws {
        chmod("\(dir)/plugins.d/log.yaml", 0o646)
        let out = try TestSupport.run([
            herald, "check", "--config", "\(dir)/herald.yaml", "--plugins-dir", "\(dir)/plugins.d",
        ])
        #expect(out.status == 1)
        #expect(out.stderr.contains("\(dir)/plugins.d/log.yaml:1:1: error: refused: writable by group or others"))
    }

    @Test func rootSaysWhichRelativePluginsFolderItTook() throws {
        try #require(geteuid() == 0, "this test must run as root (scripts/test does)")
        let implicit = try TestSupport.run([herald, "check", "--config", "\(dir)/herald.yaml"], directory: dir)
        #expect(implicit.status == 0)
        #expect(
            implicit.stderr.contains(
                "warning: running as root with the plugins.d folder of the working folder, \(dir)/plugins.d: its files "
                    + "choose what runs as root"))
        let explicit = try TestSupport.run(
            [herald, "check", "--config", "\(dir)/herald.yaml", "--plugins-dir", "plugins.d"], directory: dir)
        #expect(explicit.status == 0)
        #expect(!explicit.stderr.contains("warning"))
    }
}
