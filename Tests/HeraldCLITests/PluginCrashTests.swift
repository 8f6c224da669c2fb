import Foundation
import HeraldTestSupport
import Testing

/// A plugin that crashes takes the host down (it runs in the host's process), but the crash report names it.
@Suite struct PluginCrashTests {
    /// abort() (SIGABRT), and SIGTRAP (what a Swift trap raises on arm64, and a breakpoint instruction anywhere).
    @Test(arguments: [("abortInAnnounce", SIGABRT, "SIGABRT"), ("trapInAnnounce", SIGTRAP, "SIGTRAP")])
    func aPluginThatCrashesInAnnounceIsNamedWithTheCall(key: String, signal: Int32, name: String) throws {
        let fixture = try FixtureHost("herald-crash")
        let library = fixture.library
        try fixture.write(
            config: """
                apiVersion: herald.dev/v1
                pools: [{name: p, addresses: [192.0.2.0/28]}]
                advertisements: [{name: ad, plugin: crashy}]
                staticVIPs: [{name: v, address: 192.0.2.1}]
                """,
            plugins: ["crashy.yaml": "name: crashy\nlibrary: \(library)\nconfig: {\(key): true}\n"])
        let out = try TestSupport.run(
            [try TestSupport.product("herald")] + fixture.runArguments(status: "none"),
            environment: ["PATH": "/usr/bin:/bin", "SWIFT_BACKTRACE": "enable=no"], timeout: 60)
        // Killed by the signal, with its default action.
        #expect(out.status == signal, "\(out.stderr)")
        #expect(
            out.stderr.contains(
                "herald: \(name) in plugin library \(library), instance \"crashy\", in announce 192.0.2.1/32: the plugin "
                    + "crashed the host; fix or remove the plugin\n"), "\(out.stderr)")
    }

    @Test func theHarnessExplainsItselfInsteadOfLoadingAnOption() throws {
        let harness = try TestSupport.product("herald-plugin-harness")
        let help = try TestSupport.run([harness, "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.hasPrefix("usage: herald-plugin-harness PLUGIN.so [CONFIG_JSON] [NODE_NAME]\n"))
        let unknown = try TestSupport.run([harness, "--verbose"])
        #expect(unknown.status == 2)
        #expect(unknown.stdout == "fatal unknown option --verbose; see --help\n")
    }

    /// Two libraries with one plugin id: `herald plugins` refuses the one `herald run` would refuse (the one no
    /// enabled instance uses), and exits non-zero.
    @Test func pluginsResolvesDuplicateIDsLikeRun() throws {
        let herald = try TestSupport.product("herald")
        let dir = try TestSupport.temporaryDirectory("herald-dup")
        let extra = "\(dir)/lib"
        try FileManager.default.createDirectory(atPath: "\(dir)/plugins.d", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: extra, withIntermediateDirectories: true)
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: "\(extra)/libherald-a.so")
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: "\(extra)/libherald-z.so")
        try "name: z\nlibrary: herald-z\n".write(
            toFile: "\(dir)/plugins.d/z.yaml", atomically: true, encoding: .utf8)
        let out = try TestSupport.run([
            herald, "plugins", "--plugins-dir", "\(dir)/plugins.d", "--plugin-path", extra,
        ])
        #expect(out.status == 1)
        #expect(out.stdout.contains("\(extra)/libherald-z.so\n  id:        dev.herald.test.fixture\n"), "\(out.stdout)")
        #expect(
            out.stdout.contains(
                "\(extra)/libherald-a.so\n  refused:   \(extra)/libherald-a.so: refused: plugin id "
                    + "\"dev.herald.test.fixture\" is already provided by \(extra)/libherald-z.so\n"), "\(out.stdout)")
        let check = try TestSupport.run([
            herald, "check", "--config", "\(dir)/missing-is-fine-here.yaml", "--plugins-dir", "\(dir)/plugins.d",
            "--plugin-path", extra,
        ])
        #expect(check.stdout.contains("ok: plugin instance \"z\": dev.herald.test.fixture"), "\(check.stdout)")
    }
}
