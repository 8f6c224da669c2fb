import Foundation
import HeraldTestSupport
import Testing

/// `herald conformance` for plugin authors.
@Suite struct ConformanceCommandTests {
    @Test(arguments: ["[1, 2]", "\"text\"", "{broken", "42"])
    func aConfigThatIsNotAJSONObjectIsRefused(config: String) throws {
        let herald = try TestSupport.product("herald")
        let out = try TestSupport.run([herald, "conformance", "herald-log", "--config", config])
        #expect(out.status == 64, "\(out.stderr)")
        #expect(
            out.stderr.contains("--config must be a JSON object, like '{\"interfaces\": [\"eth0\"]}'; got: \(config)"))
    }

    @Test func aValidConfigRunsTheSuite() throws {
        let herald = try TestSupport.product("herald")
        let out = try TestSupport.run([herald, "conformance", "herald-log", "--config", #"{"level": "debug"}"#])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("configure rejects an unknown key (added to the given config) with a message"))
    }
}
