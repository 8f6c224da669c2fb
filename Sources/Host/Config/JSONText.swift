import HeraldJSON
import Yams

/// Converts a YAML node to JSON text, the form the plugin ABI hands configuration and attributes over in. Scalars keep
/// the type YAML resolved for them (`true` stays a boolean, `"true"` a string).
enum JSONText {
    static func from(_ node: Node) -> String {
        var out = ""
        write(node, into: &out)
        return out
    }

    private static func write(_ node: Node, into out: inout String) {
        switch node {
        case .mapping(let mapping):
            out += "{"
            for (index, pair) in mapping.enumerated() {
                if index > 0 { out += "," }
                JSONString.quote(pair.key.scalar?.string ?? "", into: &out)
                out += ":"
                write(pair.value, into: &out)
            }
            out += "}"
        case .sequence(let sequence):
            out += "["
            for (index, item) in sequence.enumerated() {
                if index > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .scalar(let scalar):
            switch node.tagName {
            case .null: out += "null"
            case .bool: out += (node.boolValue ?? false) ? "true" : "false"
            case .int: out += node.int.map(String.init) ?? JSONString.quoted(scalar.string)
            case .float:
                if let d = node.float, d.isFinite { out += "\(d)" } else { JSONString.quote(scalar.string, into: &out) }
            default: JSONString.quote(scalar.string, into: &out)
            }
        case .alias:
            out += "null"
        }
    }
}
