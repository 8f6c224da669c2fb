import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldTestSupport
import Logging
import Testing

/// A kubeconfig that reaches the API server over plain http, or without checking its certificate, still loads, and
/// says so as a warning when a client is made from it.
@Suite struct KubeConfigSecurityTests {
    let dir: String

    init() throws { dir = try TestSupport.temporaryDirectory("herald-kubeconfig-security") }

    func load(_ cluster: String) throws -> KubeClientConfiguration {
        let path = "\(dir)/config"
        try """
        clusters: [{name: c, cluster: \(cluster)}]
        contexts: [{name: x, context: {cluster: c}}]
        current-context: x
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return try KubeConfigLoader.load(paths: [path])
    }

    @Test func plainHTTPIsAWarning() throws {
        let config = try load("{server: \"http://10.0.0.1:8080\"}")
        #expect(
            config.securityWarnings == [
                "kubeconfig \(dir)/config context x: the API server http://10.0.0.1:8080 is plain http: requests, "
                    + "Service statuses and the credentials travel unencrypted and unauthenticated; use an https:// "
                    + "server"
            ])
    }

    @Test func skippingTheCertificateCheckIsAWarning() throws {
        let config = try load("{server: \"https://10.0.0.1:6443\", insecure-skip-tls-verify: true}")
        #expect(
            config.securityWarnings == [
                "kubeconfig \(dir)/config context x: insecure-skip-tls-verify is set: the API server's certificate "
                    + "is not checked, so anyone on the path can pose as 10.0.0.1:6443; give its CA "
                    + "(certificate-authority) instead"
            ])
    }

    @Test func aVerifiedHTTPSServerIsNoWarning() throws {
        #expect(try load("{server: \"https://10.0.0.1:6443\"}").securityWarnings.isEmpty)
    }

    @Test func anErrorNamesItsKeyWithListPositions() throws {
        let error = #expect(throws: KubeError.self) {
            try load("{server: \"https://a\", insecure-skip-tls-verify: [1]}")
        }
        #expect(
            error?.description.contains("clusters[0].cluster.insecure-skip-tls-verify") == true,
            "\(String(describing: error))")
    }

    @Test func theClientLogsTheWarnings() async throws {
        let config = try load("{server: \"http://10.0.0.1:8080\"}")
        let recorded = Locked([String]())
        let logger = Logger(label: "test") { _ in RecordingHandler(recorded: recorded) }
        let client = try KubeClient(configuration: config, logger: logger)
        try await client.shutdown()
        #expect(recorded.get().contains { $0.hasPrefix("warning: kubeconfig \(dir)/config context x: the API server") })
    }

    struct RecordingHandler: LogHandler {
        let recorded: Locked<[String]>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { recorded.mutate { $0.append("\(event.level): \(event.message)") } }
    }
}
