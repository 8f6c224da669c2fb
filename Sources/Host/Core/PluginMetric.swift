/// One sample a plugin reported through `collect_metrics`.
public struct PluginMetric: Sendable, Equatable {
    public enum Kind: Sendable { case counter, gauge }
    public var kind: Kind
    public var name: String
    public var help: String?
    public var labels: [String: String]
    public var value: Double

    public init(kind: Kind, name: String, help: String? = nil, labels: [String: String] = [:], value: Double) {
        self.kind = kind
        self.name = name
        self.help = help
        self.labels = labels
        self.value = value
    }
}
