/// `metav1.Status`: the body of every error answer and of watch `ERROR` events.
public struct KubeStatus: Codable, Sendable, Hashable {
    public var kind: String?
    public var apiVersion: String?
    public var status: String?
    public var message: String?
    public var reason: String?
    public var code: Int?
}
