/// A Kubernetes object type the client can list, watch and write.
public protocol KubeResource: Codable, Sendable {
    /// `v1` for the core group, `group/version` otherwise.
    static var apiVersion: String { get }
    /// The object kind, e.g. `Service`.
    static var kind: String { get }
    /// The plural resource name used in URLs, e.g. `services`.
    static var plural: String { get }
    /// Whether objects live in a namespace.
    static var namespaced: Bool { get }
    /// The object's metadata.
    var metadata: ObjectMeta { get set }
}

extension KubeResource {
    /// The store key of this object: `namespace/name`, or `name` for cluster-scoped objects.
    public var key: String { ObjectKey(metadata).description }

    /// The URL prefix of the API group: `/api/v1` or `/apis/GROUP/VERSION`.
    package static var groupPath: String { apiVersion.contains("/") ? "/apis/\(apiVersion)" : "/api/\(apiVersion)" }

    /// The collection path, optionally in a namespace (nil lists across all namespaces).
    package static func collectionPath(namespace: String?) -> String {
        if namespaced, let namespace { return "\(groupPath)/namespaces/\(namespace)/\(plural)" }
        return "\(groupPath)/\(plural)"
    }

    /// The path of one object, optionally of one of its subresources.
    package static func objectPath(name: String, namespace: String?, subresource: String? = nil) -> String {
        let base = collectionPath(namespace: namespace) + "/" + name
        return subresource.map { base + "/" + $0 } ?? base
    }
}

/// The identity of an object in a store: namespace (if any) and name.
public struct ObjectKey: Hashable, Sendable, CustomStringConvertible, Comparable {
    public var namespace: String?
    public var name: String

    /// Creates a key.
    public init(namespace: String?, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// The key of an object's metadata.
    public init(_ metadata: ObjectMeta) {
        self.init(namespace: metadata.namespace, name: metadata.name ?? "")
    }

    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }

    public static func < (a: ObjectKey, b: ObjectKey) -> Bool { a.description < b.description }
}

/// A list answer: `kind: XList` with `metadata.resourceVersion` and `continue`.
public struct KubeList<Item: KubeResource>: Decodable, Sendable {
    public var metadata: ListMeta
    public var items: [Item]
}
