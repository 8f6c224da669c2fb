import Foundation

/// The configuration of a pod: `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT` (IPv6 in brackets), the
/// service-account token (re-read every minute), its CA bundle and namespace.
public enum InClusterConfig {
    /// The directory Kubernetes mounts the service account into.
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// Loads the in-cluster configuration; `directory` is overridable for tests.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = serviceAccountDirectory, tokenRefresh: Duration = .seconds(60)
    ) throws -> KubeClientConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
            throw KubeError(
                .inCluster, "KUBERNETES_SERVICE_HOST is not set: not running in a pod", key: "KUBERNETES_SERVICE_HOST")
        }
        guard let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubeError(.inCluster, "KUBERNETES_SERVICE_PORT is not set", key: "KUBERNETES_SERVICE_PORT")
        }
        let tokenPath = directory + "/token"
        let caPath = directory + "/ca.crt"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeError(.inCluster, "service-account token is missing", file: tokenPath)
        }
        guard let ca = FileManager.default.contents(atPath: caPath) else {
            throw KubeError(.inCluster, "service-account CA bundle is missing", file: caPath)
        }
        let namespace = FileManager.default.contents(atPath: directory + "/namespace")
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        let token = TokenSource(file: tokenPath, refresh: tokenRefresh)
        _ = try token.current()
        return KubeClientConfiguration(
            server: "https://\(bracketed(host)):\(port)", certificateAuthorityPEM: Array(ca), token: token,
            namespace: namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default", origin: "in-cluster")
    }

    /// An IPv6 literal in brackets, anything else unchanged.
    static func bracketed(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }
}
