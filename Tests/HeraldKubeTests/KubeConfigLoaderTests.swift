import Foundation
import HeraldKube
import HeraldKubeTestSupport
import Testing

/// kubeconfig parsing, merging and errors (no server).
@Suite struct KubeConfigLoaderTests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + uniqueName("kubeconfig")
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func mergesAListFirstDefinitionWinsAndResolvesRelativePaths() throws {
        _ = try write("sub/ca.crt", "CA-PEM")
        _ = try write("sub/token", "  file-token\n")
        let first = try write(
            "sub/a.yaml",
            """
            clusters:
            - name: c
              cluster: {server: "https://127.0.0.1:6443", certificate-authority: ca.crt}
            users:
            - name: u
              user: {tokenFile: token}
            """)
        let second = try write(
            "b.yaml",
            """
            clusters:
            - name: c
              cluster: {server: "https://10.0.0.1:1"}
            contexts:
            - name: ctx
              context: {cluster: c, user: u, namespace: team}
            current-context: ctx
            users:
            - name: u
              user: {token: ignored}
            """)
        let config = try KubeConfigLoader.load(paths: [first, second])
        #expect(config.server == "https://127.0.0.1:6443")
        #expect(config.endpoint == "127.0.0.1:6443")
        #expect(config.certificateAuthorityPEM == Array("CA-PEM".utf8))
        #expect(config.namespace == "team")
        #expect(config.token?.path == dir + "/sub/token")
        #expect(try config.token?.current() == "file-token")
    }

    @Test func inlineDataIsBase64AndPreferred() throws {
        let path = try write(
            "inline.yaml",
            """
            clusters: [{name: c, cluster: {server: "https://[::1]:6443", certificate-authority-data: \(Data("CA".utf8).base64EncodedString()), certificate-authority: /nonexistent}}]
            users: [{name: u, user: {client-certificate-data: \(Data("CERT".utf8).base64EncodedString()), client-key-data: \(Data("KEY".utf8).base64EncodedString())}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """)
        let config = try KubeConfigLoader.load(paths: [path])
        #expect(config.certificateAuthorityPEM == Array("CA".utf8))
        #expect(config.clientCertificatePEM == Array("CERT".utf8))
        #expect(config.clientKeyPEM == Array("KEY".utf8))
        #expect(config.endpoint == "[::1]:6443")
        #expect(config.namespace == "default")
    }

    @Test func aMissingFileIsNamed() {
        let missing = dir + "/does-not-exist.yaml"
        let error = #expect(throws: KubeError.self) { try KubeConfigLoader.load(paths: [missing]) }
        #expect(error?.code == .kubeconfig)
        #expect(error?.file == missing)
        #expect(error?.description.contains(missing) == true)
    }

    @Test func missingFilesInAListAreSkippedLikeClientGo() throws {
        let good = try write(
            "good.yaml",
            "clusters: [{name: c, cluster: {server: \"https://127.0.0.1:1\"}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n"
        )
        let config = try KubeConfigLoader.load(paths: [dir + "/nope.yaml", good])
        #expect(config.server == "https://127.0.0.1:1")
    }

    @Test func malformedContentNamesTheFile() throws {
        let garbage = try write("garbage.yaml", "clusters: [unclosed\n  - : :")
        let e1 = #expect(throws: KubeError.self) { try KubeConfigLoader.load(paths: [garbage]) }
        #expect(e1?.file == garbage)
        let wrongType = try write("wrong.yaml", "clusters: 42\n")
        let e2 = #expect(throws: KubeError.self) { try KubeConfigLoader.load(paths: [wrongType]) }
        #expect(e2?.file == wrongType)
        #expect(e2?.message.contains("clusters") == true)
    }

    @Test func danglingReferencesNameTheKey() throws {
        let noContext = try write("nocontext.yaml", "current-context: ghost\n")
        let e1 = #expect(throws: KubeError.self) { try KubeConfigLoader.load(paths: [noContext]) }
        #expect(e1?.key == "current-context")
        #expect(e1?.message.contains("ghost") == true)

        let noCluster = try write(
            "nocluster.yaml", "contexts: [{name: x, context: {cluster: gone}}]\ncurrent-context: x\n")
        let e2 = #expect(throws: KubeError.self) { try KubeConfigLoader.load(paths: [noCluster]) }
        #expect(e2?.key == "contexts[x].context.cluster")
        #expect(e2?.file == noCluster)

        let badB64 = try write(
            "b64.yaml",
            "clusters: [{name: c, cluster: {server: \"https://a:1\", certificate-authority-data: \"!!!\"}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n"
        )
        let e3 = #expect(throws: KubeError.self) { try KubeConfigLoader.load(paths: [badB64]) }
        #expect(e3?.key == "clusters[c].cluster.certificate-authority-data")

        let badTokenFile = try write(
            "tf.yaml",
            "clusters: [{name: c, cluster: {server: \"https://a:1\"}}]\nusers: [{name: u, user: {tokenFile: missing-token}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n"
        )
        let e4 = #expect(throws: KubeError.self) { try KubeConfigLoader.load(paths: [badTokenFile]) }
        #expect(e4?.key == "users[u].user.tokenFile")
        #expect(e4?.message.contains(dir + "/missing-token") == true)
    }

    @Test func badTLSMaterialIsAClearError() throws {
        let config = KubeClientConfiguration(
            server: "https://127.0.0.1:1", certificateAuthorityPEM: Array("not a pem".utf8))
        let error = #expect(throws: KubeError.self) { try KubeClient(configuration: config, logger: .test("tls")) }
        #expect(error?.code == .tls)
    }

    @Test func inClusterBracketsIPv6AndReReadsTheToken() async throws {
        let sa = dir + "/sa"
        try FileManager.default.createDirectory(atPath: sa, withIntermediateDirectories: true)
        _ = try write("sa/token", "one")
        _ = try write("sa/ca.crt", "CA")
        _ = try write("sa/namespace", "herald-system\n")
        let config = try InClusterConfig.load(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"], directory: sa,
            tokenRefresh: .milliseconds(100))
        #expect(config.server == "https://[fd00::1]:443")
        #expect(config.namespace == "herald-system")
        #expect(try config.token?.current() == "one")
        _ = try write("sa/token", "two")
        #expect(try config.token?.current() == "one")  // cached
        try await Task.sleep(for: .milliseconds(150))
        #expect(try config.token?.current() == "two")  // re-read after the refresh interval

        let v4 = try InClusterConfig.load(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"], directory: sa)
        #expect(v4.server == "https://10.96.0.1:443")
        let missing = #expect(throws: KubeError.self) { try InClusterConfig.load(environment: [:], directory: sa) }
        #expect(missing?.code == .inCluster)
        let noToken = #expect(throws: KubeError.self) {
            try InClusterConfig.load(
                environment: ["KUBERNETES_SERVICE_HOST": "a", "KUBERNETES_SERVICE_PORT": "1"], directory: dir + "/none")
        }
        #expect(noToken?.file == dir + "/none/token")
    }
}
