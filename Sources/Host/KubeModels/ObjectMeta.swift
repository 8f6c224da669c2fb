/// `metav1.ObjectMeta`: the fields Herald reads and writes, and no others (every field is inline in every cached
/// object). Unknown fields are dropped, so a decoded object is never written back whole; writes use patches or types
/// Herald owns completely (Lease, Event).
public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var creationTimestamp: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?

    /// Creates metadata.
    public init(
        name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil,
        annotations: [String: String]? = nil, resourceVersion: String? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
        self.resourceVersion = resourceVersion
    }
}

/// `metav1.ListMeta`.
public struct ListMeta: Codable, Sendable, Hashable {
    public var resourceVersion: String?
    public var `continue`: String?
}
