import Foundation
import HeraldTestSupport

/// `herald-plugin-harness` driving `libherald-bgp.so` inside a node namespace (see Tests/PluginHarness).
final class BGPHarness: LineProcess, @unchecked Sendable {
    /// Starts the plugin with `config` (JSON) in `namespace` and waits for "ready". `addresses` and `labels` are the
    /// node info the host would pass.
    init(namespace: String, config: String, addresses: [String] = [], labels: [String: String] = [:]) throws {
        let labelText = labels.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",")
        try super.init(
            executable: "/usr/sbin/ip",
            arguments: [
                "netns", "exec", namespace, "/usr/bin/env",
                "HERALD_HARNESS_NODE_ADDRESSES=\(addresses.joined(separator: ","))",
                "HERALD_HARNESS_NODE_LABELS=\(labelText)",
                try LabShell.product("herald-plugin-harness"), try LabShell.product("libherald-bgp.so"), config,
                namespace,
            ])
        guard expect("ready", orError: false, timeout: 10) != nil else {
            throw LabShell.Failure(command: "harness", output: transcript)
        }
    }

    /// Sends a command and waits for its "ok"; throws with the transcript on "error" or timeout.
    func command(_ command: String, timeout: Double = 5) throws {
        send(command)
        let name = command.split(separator: " ").first.map(String.init) ?? command
        guard let line = expect("ok \(name)", orError: true, timeout: timeout), line.hasPrefix("ok") else {
            throw LabShell.Failure(command: command, output: transcript)
        }
    }

    /// The instance's metrics as `name{labels}` → value.
    func metrics() throws -> [String: Double] {
        let start = lineCount
        send("metrics")
        guard expect("end metrics", timeout: 5) != nil else {
            throw LabShell.Failure(command: "metrics", output: transcript)
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
