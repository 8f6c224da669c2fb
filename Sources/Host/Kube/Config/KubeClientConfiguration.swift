import Foundation
import HeraldKubeModels

/// Everything the client needs to reach one API server: where, whom to trust, and how to authenticate.
/// Made from a kubeconfig (``KubeConfigLoader``) or from the in-cluster environment (``InClusterConfig``).
public struct KubeClientConfiguration: Sendable {
    /// `https://host:port` (IPv6 hosts in brackets), without a trailing slash.
    public var server: String
    /// PEM bundle of the CAs that sign the server certificate; nil uses the system trust store.
    public var certificateAuthorityPEM: [UInt8]?
    /// Skip server certificate verification (kubeconfig `insecure-skip-tls-verify`).
    public var insecureSkipTLSVerify: Bool
    /// PEM client certificate chain and key, if the user authenticates with a certificate.
    public var clientCertificatePEM: [UInt8]?
    /// PEM private key matching ``clientCertificatePEM``.
    public var clientKeyPEM: [UInt8]?
    /// The bearer token, if any (static, or re-read from a file).
    public var token: TokenSource?
    /// The namespace of the current context (or of the service account), `default` if unset.
    public var namespace: String
    /// Where this configuration came from, for error messages and logs.
    public var origin: String

    /// Creates a configuration.
    public init(
        server: String, certificateAuthorityPEM: [UInt8]? = nil, insecureSkipTLSVerify: Bool = false,
        clientCertificatePEM: [UInt8]? = nil, clientKeyPEM: [UInt8]? = nil, token: TokenSource? = nil,
        namespace: String = "default", origin: String = "explicit"
    ) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.token = token
        self.namespace = namespace
        self.origin = origin
    }

    /// What makes this configuration unsafe, in words: a plain `http://` server (requests and the bearer token travel
    /// unencrypted, and anyone on the path can answer for the API server) or `insecure-skip-tls-verify` (any server
    /// is believed). Such a configuration still works; every client made from it logs these as warnings.
    public var securityWarnings: [String] {
        var warnings: [String] = []
        if server.lowercased().hasPrefix("http://") {
            warnings.append(
                "\(origin): the API server \(server) is plain http: requests, Service statuses and the credentials "
                    + "travel unencrypted and unauthenticated; use an https:// server")
        }
        if insecureSkipTLSVerify && !server.lowercased().hasPrefix("http://") {
            warnings.append(
                "\(origin): insecure-skip-tls-verify is set: the API server's certificate is not checked, so anyone "
                    + "on the path can pose as \(endpoint); give its CA (certificate-authority) instead")
        }
        return warnings
    }

    /// `host:port` of ``server``, for error messages.
    public var endpoint: String {
        var s = Substring(server)
        if let r = s.range(of: "://") { s = s[r.upperBound...] }
        if let slash = s.firstIndex(of: "/") { s = s[..<slash] }
        return String(s)
    }

    /// Loads the configuration the way `kubectl` does outside a cluster (`KUBECONFIG` list, else `~/.kube/config`),
    /// and inside a pod from the service account when no kubeconfig is given.
    public static func automatic(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Self {
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            return try KubeConfigLoader.load(paths: list.split(separator: ":").map(String.init))
        }
        if environment["KUBERNETES_SERVICE_HOST"] != nil {
            return try InClusterConfig.load(environment: environment)
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return try KubeConfigLoader.load(paths: [home + "/.kube/config"])
    }
}
