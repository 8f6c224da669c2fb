/// Data-plane health of an instance.
public struct PluginHealth: Sendable, Equatable {
    public enum State: Int32, Sendable, Comparable {
        case ok = 0, degraded = 1, unhealthy = 2
        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }
    public var state: State
    public var detail: String?

    public init(_ state: State, _ detail: String? = nil) {
        self.state = state
        self.detail = detail
    }
}
