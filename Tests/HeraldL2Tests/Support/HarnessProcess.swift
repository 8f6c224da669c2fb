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

    /// Sends a command and waits for its "ok"; throws with the transcript on "error" or timeout.
    func command(_ command: String, timeout: Double = 5) throws {
        send(command)
        let name = command.split(separator: " ").first.map(String.init) ?? command
        guard let line = expect("ok \(name)", orError: true, timeout: timeout), line.hasPrefix("ok") else {
            throw ShellError(command: command, result: Shell.Result(status: 1, output: transcript))
        }
    }

    /// The instance's metrics as `name{labels}` → value.
    func metrics() throws -> [String: Double] {
        let start = lineCount
        send("metrics")
        guard expect("end metrics", timeout: 5) != nil else {
            throw ShellError(command: "metrics", result: Shell.Result(status: 1, output: transcript))
        }
        var out: [String: Double] = [:]
        for line in lines[start...] {
            if line == "end metrics" { break }
            let words = line.split(separator: " ")
            guard words.count == 4, words[0] == "metric" else { continue }
            out[String(words[2])] = Double(words[3])
        }
        return out
    }
}
