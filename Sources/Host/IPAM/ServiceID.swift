/// Identifies a Service: its namespace and name. Sorts by namespace, then name, which gives the allocator a
/// deterministic order wherever it must choose between services.
public struct ServiceID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// `namespace/name`, as `kubectl` prints it.
    public var description: String { "\(namespace)/\(name)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}
