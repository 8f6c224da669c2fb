import Foundation
import HeraldTestSupport

/// A folder for `herald run` on the fixture plugin (Tests/Fixtures/fixture_plugin.c): the fixture built into it as
/// `libfixture.so`, a plugins.d and a herald.yaml.
struct FixtureHost {
    let dir: String
    /// The fixture library's path, for plugins.d files.
    var library: String { "\(dir)/libfixture.so" }
    var config: String { "\(dir)/herald.yaml" }
    var pluginsDirectory: String { "\(dir)/plugins.d" }

    /// Builds the fixture into a new folder named after `label`.
    init(_ label: String) throws {
        dir = try TestSupport.temporaryDirectory(label)
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: "\(dir)/libfixture.so")
        try FileManager.default.createDirectory(atPath: pluginsDirectory, withIntermediateDirectories: true)
    }

    /// Writes herald.yaml and the plugins.d files (file name → text).
    func write(config text: String, plugins: [String: String]) throws {
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        for (name, plugin) in plugins {
            try plugin.write(toFile: "\(pluginsDirectory)/\(name)", atomically: true, encoding: .utf8)
        }
    }

    /// The arguments of `herald run` on this folder, with `status` as the status address.
    func runArguments(status: String) -> [String] {
        ["run", "--config", config, "--plugins-dir", pluginsDirectory, "--status-address", status]
    }

    /// `herald run` on this folder, its status endpoints on a free loopback port (``StatusEndpointTests/address(of:)``).
    func start() throws -> LineProcess {
        try LineProcess(executable: try TestSupport.product("herald"), arguments: runArguments(status: "127.0.0.1:0"))
    }
}
