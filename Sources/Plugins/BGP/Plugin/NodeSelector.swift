import PluginKit

/// A Kubernetes label selector (`matchLabels`, `matchExpressions` with In, NotIn, Exists, DoesNotExist), matched
/// against the node labels the host passes at configure time.
struct NodeSelector: Decodable, Sendable, Equatable {
    struct Expression: Decodable, Sendable, Equatable {
        var key: String
        var `operator`: String
        var values: [String]

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(["key", "operator", "values"])
            let c = try decoder.container(keyedBy: AnyKey.self)
            key = try c.decode(String.self, forKey: AnyKey(stringValue: "key"))
            `operator` = try c.decode(String.self, forKey: AnyKey(stringValue: "operator"))
            values = try c.decodeIfPresent([String].self, forKey: AnyKey(stringValue: "values")) ?? []
            let path = configPath(decoder.codingPath)
            switch `operator` {
            case "In", "NotIn":
                guard !values.isEmpty else {
                    throw PluginError(.config, "config.\(path).values: \(`operator`) needs at least one value")
                }
            case "Exists", "DoesNotExist":
                guard values.isEmpty else {
                    throw PluginError(.config, "config.\(path).values: \(`operator`) takes no values")
                }
            default:
                throw PluginError(
                    .config, "config.\(path).operator: \"\(`operator`)\" is not In, NotIn, Exists or DoesNotExist")
            }
        }

        func matches(_ labels: [String: String]) -> Bool {
            switch `operator` {
            case "In": labels[key].map(values.contains) ?? false
            case "NotIn": !(labels[key].map(values.contains) ?? false)
            case "Exists": labels[key] != nil
            default: labels[key] == nil
            }
        }
    }

    var matchLabels: [String: String]
    var matchExpressions: [Expression]

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["matchLabels", "matchExpressions"])
        let c = try decoder.container(keyedBy: AnyKey.self)
        matchLabels = try c.decodeIfPresent([String: String].self, forKey: AnyKey(stringValue: "matchLabels")) ?? [:]
        matchExpressions =
            try c.decodeIfPresent([Expression].self, forKey: AnyKey(stringValue: "matchExpressions")) ?? []
    }

    func matches(_ labels: [String: String]) -> Bool {
        matchLabels.allSatisfy { labels[$0.key] == $0.value } && matchExpressions.allSatisfy { $0.matches(labels) }
    }
}
