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
}
