import Foundation
import HeraldTestSupport
import Testing

/// `--role allocator` and `--role speaker` split Herald on a cluster; without one they are refused.
@Suite struct RoleCLITests {
    @Test(arguments: ["allocator", "speaker"])
    func aRoleNeedsACluster(role: String) throws {
        let herald = try TestSupport.product("herald")
        let dir = try TestSupport.temporaryDirectory("herald-role")
        try "apiVersion: herald.dev/v1\npools: [{name: p, addresses: [192.0.2.0/28]}]\n"
            .write(toFile: "\(dir)/herald.yaml", atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = nil
        environment["KUBERNETES_SERVICE_HOST"] = nil
        let out = try TestSupport.run(
            [herald, "run", "--role", role, "--config", "\(dir)/herald.yaml", "--status-address", "none"],
            environment: environment, directory: dir, timeout: 20)
        #expect(out.status != 0)
        #expect(out.stderr.contains("--role \(role) needs a cluster (Kubernetes mode)"))
    }

    @Test func anUnknownRoleIsRefused() throws {
        let herald = try TestSupport.product("herald")
        let out = try TestSupport.run([herald, "run", "--role", "controller"], timeout: 20)
        #expect(out.status != 0)
        #expect(out.stderr.contains("controller"))
    }
}
