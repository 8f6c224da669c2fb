/// v1 `Secret`, as Herald reads one: a BGPPeer's `passwordSecret` in MetalLB mode (type `kubernetes.io/basic-auth`,
/// key `password`). Its description shows the keys, never the values.
public struct Secret: KubeResource, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public static let apiVersion = "v1"
    public static let kind = "Secret"
    public static let plural = "secrets"
    public static let namespaced = true
    /// The type MetalLB asks of a BGPPeer's password Secret.
    public static let basicAuth = "kubernetes.io/basic-auth"

    public var apiVersion: String? = Secret.apiVersion
    public var kind: String? = Secret.kind
    public var metadata: ObjectMeta
    public var type: String?
    /// Values by key, base64 as the API server sends them.
    public var data: [String: String]?

    /// Creates a Secret.
    public init(metadata: ObjectMeta, type: String? = nil, data: [String: String]? = nil) {
        self.metadata = metadata
        self.type = type
        self.data = data
    }

    public var description: String {
        "Secret \(metadata.namespace ?? "")/\(metadata.name ?? "") (\(type ?? "Opaque"); keys: "
            + "\((data ?? [:]).keys.sorted().joined(separator: ", ")))"
    }

    public var debugDescription: String { description }
}
