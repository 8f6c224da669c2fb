/// An error of the Kubernetes client, with a code and the context needed to act on it: the file and key of a bad
/// kubeconfig, the `host:port` of an unreachable server, the HTTP status and `Status` reason of a refused request.
public struct KubeError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// A kubeconfig file is missing, unreadable, malformed, or misses a key.
        public static let kubeconfig = Code(name: "kubeconfig")
        /// The in-cluster environment (service-account files, `KUBERNETES_SERVICE_HOST`) is incomplete.
        public static let inCluster = Code(name: "in-cluster")
        /// TLS material (CA, client certificate or key) cannot be loaded.
        public static let tls = Code(name: "tls")
        /// The server cannot be reached (connection refused, timeout, TLS handshake failure).
        public static let transport = Code(name: "transport")
        /// The server answered with a non-success HTTP status.
        public static let http = Code(name: "http")
        /// The server's answer cannot be decoded.
        public static let decoding = Code(name: "decoding")
        /// A watch stream reported an `ERROR` event.
        public static let watch = Code(name: "watch")
        /// A wait (for a cache to sync) did not end in time.
        public static let timeout = Code(name: "timeout")
        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable explanation naming the cause.
    public var message: String
    /// The HTTP status code, for `.http` and `.watch` errors.
    public var statusCode: Int?
    /// The `Status.reason` the server gave (`NotFound`, `Conflict`, `Expired`, `Forbidden`, ...).
    public var reason: String?
    /// The kubeconfig or service-account file involved, if any.
    public var file: String?
    /// The kubeconfig key involved (e.g. `users[admin].user.token`), if any.
    public var key: String?
    /// The `host:port` of the server involved, if any.
    public var endpoint: String?
    /// The request (`GET /api/v1/services`) involved, if any.
    public var request: String?

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, statusCode: Int? = nil, reason: String? = nil, file: String? = nil,
        key: String? = nil, endpoint: String? = nil, request: String? = nil
    ) {
        self.code = code
        self.message = message
        self.statusCode = statusCode
        self.reason = reason
        self.file = file
        self.key = key
        self.endpoint = endpoint
        self.request = request
    }

    public var description: String {
        var parts = ["kube \(code) error"]
        if let file { parts.append("file \(file)") }
        if let key { parts.append("key \(key)") }
        if let request { parts.append(request) }
        if let endpoint { parts.append("server \(endpoint)") }
        if let statusCode { parts.append("HTTP \(statusCode)") }
        if let reason { parts.append("reason \(reason)") }
        return parts.joined(separator: ", ") + ": " + message
    }

    /// Whether retrying the same request later can succeed: transport failures, 429 and 5xx.
    public var isRetryable: Bool {
        switch code {
        case .transport: return true
        case .http, .watch:
            guard let statusCode else { return false }
            return statusCode == 429 || statusCode >= 500
        default: return false
        }
    }

    /// Whether the server answered 410 Gone / `Expired` (a watch or list resourceVersion that is too old).
    public var isExpired: Bool { statusCode == 410 || reason == "Expired" || reason == "Gone" }
    /// Whether the server answered 409 Conflict.
    public var isConflict: Bool { statusCode == 409 }
    /// Whether the server answered 404 Not Found.
    public var isNotFound: Bool { statusCode == 404 }
    /// Whether the server answered 409 AlreadyExists.
    public var isAlreadyExists: Bool { reason == "AlreadyExists" }
}
