import Foundation
import HeraldTestSupport

/// `herald-plugin-harness` (driven by line commands) or `ip` (e.g. `ip monitor`), run through `ip netns exec`.
final class HarnessProcess: LineProcess, @unchecked Sendable {
    /// Starts the harness with a plugin and its configuration in `namespace`, and waits for "ready".
    convenience init(namespace: String, plugin: String, config: String = "{}") throws {
        try self.init(arguments: ["netns", "exec", namespace, try Products.harness(), plugin, config, namespace])
        guard expect("ready", timeout: 10) != nil else {
            throw ShellError(command: "harness", result: Shell.Result(status: 1, output: transcript))
        }
    }

    /// Starts `ip` with these arguments.
    init(arguments: [String]) throws {
        let ip = FileManager.default.fileExists(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip"
        try super.init(executable: ip, arguments: arguments)
    }
}
