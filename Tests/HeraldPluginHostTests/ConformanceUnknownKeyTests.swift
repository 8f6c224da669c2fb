import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldPluginHost

/// The unknown-key check adds its key to the author's valid configuration, so that a plugin with required keys is
/// judged on the unknown key, not on the keys it misses.
@Suite struct ConformanceUnknownKeyTests {
    static let check = "configure rejects an unknown key (added to the given config) with a message"

    @Test func theKeyIsAddedToTheGivenObject() {
        #expect(ConformanceSuite.addingUnknownKey(to: "{}") == #"{"herald-conformance-unknown-key":1}"#)
        #expect(ConformanceSuite.addingUnknownKey(to: " { } ") == #"{"herald-conformance-unknown-key":1 } "#)
        #expect(
            ConformanceSuite.addingUnknownKey(to: #"{"a": [1, {"b": 2}]}"#)
                == #"{"herald-conformance-unknown-key":1,"a": [1, {"b": 2}]}"#)
        #expect(ConformanceSuite.addingUnknownKey(to: "[1]") == nil)
    }

    @Test func aPluginWithRequiredKeysIsJudgedOnTheUnknownKey() throws {
        // exec requires announce and withdraw: with {} alone it would reject the config for those, and pass.
        let exec = try PluginLoader(searchPath: []).load(path: try TestSupport.product("libherald-exec.so"))
        let config = BundledPluginConformanceTests.bundled[1].config
        let report = ConformanceSuite.run(library: exec, configJSON: config)
        let unknown = try #require(report.checks.first { $0.name == Self.check })
        #expect(unknown.passed)
        #expect(unknown.detail.contains("herald-conformance-unknown-key"), "\(unknown.detail)")
    }

    @Test func aPluginThatAcceptsAnyKeyIsFlagged() throws {
        let dir = try TestSupport.temporaryDirectory("herald-lenient")
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: "\(dir)/liblenient.so")
        let fixture = try PluginLoader(searchPath: []).load(path: "\(dir)/liblenient.so")
        let report = ConformanceSuite.run(library: fixture, configJSON: #"{"record": "\#(dir)/calls"}"#)
        let unknown = try #require(report.checks.first { $0.name == Self.check })
        #expect(!unknown.passed)
        #expect(unknown.detail == "accepted silently")
    }
}
