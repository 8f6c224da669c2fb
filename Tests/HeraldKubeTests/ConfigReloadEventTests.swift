import Foundation
import HeraldKubeTestSupport
import HeraldTestSupport
import Testing

/// A speaker on the real API server (its own ServiceAccount, deploy/rbac.yaml) follows its projected ConfigMap by
/// default: a broken `..data` swap becomes a Warning Event `ConfigReloadFailed` on its own Pod, naming the file and
/// line, and counts as a failed reload.
@Suite struct ConfigReloadEventTests {
    @Test func aBrokenConfigMapIsAWarningEventOnHeraldsPod() async throws {
        let cluster = try await DevCluster.shared()
        let herald = try TestSupport.product("herald")
        let dir = try TestSupport.temporaryDirectory("herald-reload-event")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = try ProjectedFolder("\(dir)/config")
        let good = "apiVersion: herald.dev/v1\nkind: HeraldConfig\npools: [{name: p, addresses: [192.0.2.0/28]}]\n"
        try config.project(["herald.yaml": good])
        var plugins = try ProjectedFolder("\(dir)/plugins.d")
        try plugins.project(["log.yaml": "name: log\nlibrary: herald-log\n"])
        let pod = uniqueName("herald-speaker")
        let path = "\(config.path)/herald.yaml"
        var environment = ProcessInfo.processInfo.environment
        environment["POD_NAME"] = pod
        environment["POD_NAMESPACE"] = "herald-system"
        environment["NODE_NAME"] = uniqueName("node")
        environment.removeValue(forKey: "KUBECONFIG")
        let host = try LineProcess(
            executable: herald,
            arguments: [
                "run", "--role", "speaker", "--kubeconfig", cluster.directory + "/speaker.kubeconfig", "--config", path,
                "--plugins-dir", plugins.path, "--namespace", "herald-system", "--status-address", "127.0.0.1:0",
            ], environment: environment)
        defer { host.stop(quit: nil) }
        // On by default in Kubernetes mode.
        #expect(host.waitForLine(containing: ["following \(path)"], timeout: 20) != nil, "\(host.lines)")

        try config.project([
            "herald.yaml":
                "apiVersion: herald.dev/v1\nkind: HeraldConfig\npools: [{name: p, addresses: [300.0.0.0/28]}]\n"
        ])
        var event: [String: Any]?
        let found = try await eventually(timeout: .seconds(10)) {
            let out = try await cluster.kubectl([
                "get", "events", "-n", "herald-system", "--field-selector", "involvedObject.name=\(pod)", "-o", "json",
            ])
            guard out.status == 0, let data = out.output.data(using: .utf8),
                let list = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let items = list["items"] as? [[String: Any]]
            else { return false }
            event = items.first { $0["reason"] as? String == "ConfigReloadFailed" }
            return event != nil
        }
        #expect(found, "no ConfigReloadFailed Event on pod \(pod): \(host.lines.joined(separator: "\n"))")
        #expect(event?["type"] as? String == "Warning")
        let involved = event?["involvedObject"] as? [String: Any]
        #expect(involved?["kind"] as? String == "Pod")
        #expect(involved?["namespace"] as? String == "herald-system")
        let message = event?["message"] as? String ?? ""
        #expect(message.contains("\(path):3:"), "\(message)")
        #expect(message.contains("error:"), "\(message)")
        #expect((event?["source"] as? [String: Any])?["component"] as? String == "herald-speaker")
    }
}
