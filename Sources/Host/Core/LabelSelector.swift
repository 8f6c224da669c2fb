/// A Kubernetes label selector (`matchLabels` and `matchExpressions`). An empty selector matches everything.
public struct LabelSelector: Hashable, Sendable, CustomStringConvertible {
    public enum Operator: String, Hashable, Sendable, CaseIterable {
        case `in` = "In"
        case notIn = "NotIn"
        case exists = "Exists"
        case doesNotExist = "DoesNotExist"
    }

    public struct Requirement: Hashable, Sendable {
        public var key: String
        public var op: Operator
        public var values: [String]

        public init(key: String, op: Operator, values: [String] = []) {
            self.key = key
            self.op = op
            self.values = values
        }

        public func matches(_ labels: [String: String]) -> Bool {
            switch op {
            case .in: labels[key].map { values.contains($0) } ?? false
            case .notIn: labels[key].map { !values.contains($0) } ?? true
            case .exists: labels[key] != nil
            case .doesNotExist: labels[key] == nil
            }
        }
    }

    public var matchLabels: [String: String]
    public var matchExpressions: [Requirement]

    public init(matchLabels: [String: String] = [:], matchExpressions: [Requirement] = []) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    public var isEmpty: Bool { matchLabels.isEmpty && matchExpressions.isEmpty }

    public func matches(_ labels: [String: String]) -> Bool {
        matchLabels.allSatisfy { labels[$0.key] == $0.value } && matchExpressions.allSatisfy { $0.matches(labels) }
    }

    public var description: String {
        let exact = matchLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let expressions = matchExpressions.map { r -> String in
            switch r.op {
            case .exists: r.key
            case .doesNotExist: "!\(r.key)"
            case .in: "\(r.key) in (\(r.values.joined(separator: ",")))"
            case .notIn: "\(r.key) notin (\(r.values.joined(separator: ",")))"
            }
        }
        return (exact + expressions).joined(separator: ",")
    }
}
