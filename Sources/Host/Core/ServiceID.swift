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

extension ServiceID: ExpressibleByStringLiteral {
    /// Reads `namespace/name` (both parts non-empty, one slash); nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        self.init(namespace: String(parts[0]), name: String(parts[1]))
    }

    /// A `namespace/name` literal written in code (a literal that is not one is a programming error).
    public init(stringLiteral text: String) {
        guard let id = ServiceID(text) else { preconditionFailure("\"\(text)\" is not namespace/name") }
        self = id
    }
}
