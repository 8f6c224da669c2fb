import Foundation
import HeraldKubeTestSupport
import HeraldTestSupport

/// One `herald run` process against a dev cluster, as a DaemonSet pod would run it: its own node name, the herald
/// ServiceAccount's kubeconfig, a herald.yaml and a plugins.d of its own. Its output goes to a file (never a pipe the
/// test reads; ``output`` is this run's alone), stdin is /dev/null, and it inherits no other descriptor of the test
/// process.
final class HostProcess: @unchecked Sendable {
    // @unchecked: `process` is used from the test task only; the log file is read, never shared.
    let process = Process()
    let log: String
    let node: String

    /// Starts `herald run` in Kubernetes mode, inside network namespace `netns` when given, with the plugins.d files
    /// `plugins` (file name → text; default: one `log` instance) and the herald ServiceAccount's kubeconfig (or
    /// `kubeconfig`).
    init(
        cluster: DevCluster, node: String, directory: String, config: String, extra: [String] = [],
        leaseSeconds: Double = 3, netns: String? = nil, kubeconfig: String? = nil,
        plugins files: [String: String] = ["10-log.yaml": "name: log\nlibrary: herald-log\nconfig: {level: debug}\n"]
    ) throws {
        self.node = node
        log = "\(directory)/\(node).log"
        let configPath = "\(directory)/\(node).yaml"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let plugins = "\(directory)/plugins.d-\(node)"
        try? FileManager.default.removeItem(atPath: plugins)
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: "\(plugins)/\(name)", atomically: true, encoding: .utf8)
        }
        // A host started again under the same name keeps the log of its earlier run (node.log.1, .2…): a failure
        // after a restart is often explained by what the run before it said.
        if FileManager.default.fileExists(atPath: log) {
            var generation = 1
            while FileManager.default.fileExists(atPath: "\(log).\(generation)") { generation += 1 }
            try? FileManager.default.moveItem(atPath: log, toPath: "\(log).\(generation)")
        }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let herald = try TestSupport.product("herald")
        // `ip netns exec` execs herald in place: the process (and its pid) is herald's own.
        process.executableURL = URL(fileURLWithPath: netns == nil ? herald : "/usr/sbin/ip")
        process.arguments =
            (netns.map { ["netns", "exec", $0, herald] } ?? []) + [
                "run", "--kubeconfig", kubeconfig ?? cluster.heraldKubeconfig, "--config", configPath, "--plugins-dir",
                plugins,
                "--node-name", node, "--namespace", "herald-system", "--status-address", "none",
                "--leader-elect-lease-duration", "\(leaseSeconds)",
                "--leader-elect-renew-deadline", "\(leaseSeconds * 2 / 3)",
                "--leader-elect-retry-period", "\(leaseSeconds / 6)",
            ] + extra
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = out
        try process.run()
        try out.close()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Sends `number` and waits (off the cooperative pool) for the process to exit.
    func stop(_ number: Int32 = SIGTERM, timeout: Double = 20) async {
        signal(number)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
