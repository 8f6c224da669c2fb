import Foundation
import HeraldKube
import HeraldTestSupport
import Logging
import Synchronization
import Testing

/// A real kube-apiserver instance started by `scripts/dev-cluster`, once per test process and instance name.
/// If this process started it, it is stopped when the process exits; if it was already running, it is left alone.
package struct DevCluster: Sendable {
    package let name: String
    package let directory: String

    package var adminKubeconfig: String { directory + "/admin.kubeconfig" }
    package var heraldKubeconfig: String { directory + "/herald.kubeconfig" }
    package var certKubeconfig: String { directory + "/cert.kubeconfig" }

    package static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    package static let script = root + "/scripts/dev-cluster"

    /// The shared instance every non-disruptive test uses.
    package static func shared() async throws -> DevCluster { try await Registry.shared.get("default", options: []) }

    /// A separate instance for tests that kill the API server or need a short etcd compaction interval: watches go
    /// straight to etcd (no watch cache), which compacts every second, so stale resourceVersions really expire.
    package static func disruptive() async throws -> DevCluster {
        try await Registry.shared.get("disrupt", options: ["--compaction-interval", "1s", "--no-watch-cache"])
    }

    /// One start per instance name and process, shared by every test that asks (the start task is stored before
    /// the first suspension, so concurrent callers wait for the same start).
    package actor Registry {
        package static let shared = Registry()
        var starts: [String: Task<DevCluster, any Error>] = [:]

        package func get(_ name: String, options: [String]) async throws -> DevCluster {
            if let start = starts[name] { return try await start.value }
            let start = Task { try await DevCluster.start(name, options: options) }
            starts[name] = start
            return try await start.value
        }
    }

    package static func start(_ name: String, options: [String]) async throws -> DevCluster {
        let wasRunning = try await DevCluster.run(DevCluster.script, ["status", "--name", name]).status == 0
        let result = try await DevCluster.run(DevCluster.script, ["start", "--name", name] + options)
        guard result.status == 0 else {
            throw ClusterError(
                message: "scripts/dev-cluster start --name \(name) failed (\(result.status)):\n\(result.output)")
        }
        let prefix = "export DEV_CLUSTER_DIR="
        guard let line = result.output.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else {
            throw ClusterError(message: "dev-cluster printed no DEV_CLUSTER_DIR:\n\(result.output)")
        }
        if !wasRunning { DevCluster.stopAtExit(name) }
        return DevCluster(name: name, directory: String(line.dropFirst(prefix.count)))
    }

    package struct ClusterError: Error, CustomStringConvertible {
        var message: String
        package var description: String { message }

        package init(message: String) { self.message = message }
    }

    package static let toStop = Mutex<[String]>([])

    package static func stopAtExit(_ name: String) {
        let first = toStop.withLock { list in
            list.append(name)
            return list.count == 1
        }
        guard first else { return }
        atexit {
            for name in DevCluster.toStop.withLock({ $0 }) {
                _ = system("'\(DevCluster.script)' stop --name \(name) >/dev/null 2>&1")
            }
        }
    }

    /// Runs a command off the cooperative pool; returns its exit status and combined output. The output goes
    /// through a file and the child gets only descriptors 0–2, so that the daemons a command leaves running (etcd,
    /// kube-apiserver) can never hold open a pipe that this or another test is reading.
    package static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String)
    {
        let out = try await TestSupport.runDetached([executable] + arguments)
        return (out.status, out.stdout)
    }

    /// Runs `kubectl --kubeconfig admin.kubeconfig ARGS`.
    package func kubectl(
        _ arguments: [String], kubeconfig: String? = nil
    ) async throws -> (status: Int32, output: String) {
        try await DevCluster.run("/usr/bin/kubectl", ["--kubeconfig", kubeconfig ?? adminKubeconfig] + arguments)
    }

    /// A client with the admin token.
    package func adminClient(_ label: String = "test") throws -> KubeClient {
        try KubeClient(configuration: KubeConfigLoader.load(paths: [adminKubeconfig]), logger: .test(label))
    }

    /// A client with the herald ServiceAccount token (bound only by deploy/rbac.yaml).
    package func heraldClient(_ label: String = "herald") throws -> KubeClient {
        try KubeClient(configuration: KubeConfigLoader.load(paths: [heraldKubeconfig]), logger: .test(label))
    }

    /// A client with the token of ServiceAccount `herald-allocator` or `herald-speaker` (the split roles of
    /// deploy/rbac.yaml): `account` is `allocator` or `speaker`.
    package func roleClient(_ account: String) throws -> KubeClient {
        try KubeClient(
            configuration: KubeConfigLoader.load(paths: [directory + "/\(account).kubeconfig"]), logger: .test(account))
    }

    /// `scripts/dev-cluster CMD --name NAME`.
    package func script(_ command: String) async throws {
        let r = try await DevCluster.run(DevCluster.script, [command, "--name", name])
        guard r.status == 0 else { throw ClusterError(message: "dev-cluster \(command) failed: \(r.output)") }
    }
}

package extension Logger {
    /// A logger for tests: quiet unless HERALD_TEST_LOG_LEVEL is set.
    static func test(_ label: String) -> Logger {
        var logger = Logger(label: "herald.kube.test.\(label)")
        logger.logLevel =
            ProcessInfo.processInfo.environment["HERALD_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
            ?? .critical
        return logger
    }
}

/// A name that cannot clash with a parallel run.
package func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(String(UInt32.random(in: 0..<UInt32.max), radix: 36))"
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
package func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
