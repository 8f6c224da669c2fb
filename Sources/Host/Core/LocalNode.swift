/// This node as plugins and the planner know it: its name, its labels and its addresses (IPv4 first).
public struct LocalNode: Sendable, Hashable {
    public var name: String
    public var labels: [String: String]
    public var addresses: [String]

    public init(name: String, labels: [String: String] = [:], addresses: [String] = []) {
        self.name = name
        self.labels = labels
        self.addresses = addresses
    }
}
