import HeraldTestSupport

/// Seeded random YAML documents built from every construct the parser knows: block and flow collections, explicit
/// and simple keys, every scalar style with escapes, folding and chomping, anchors, aliases, tags, comments,
/// directives and document markers. Most are valid; those that are not must be refused by both parsers.
struct DocumentGenerator {
    var random: SplitMix64
    private var anchors: [String] = []

    init(random: SplitMix64) { self.random = random }

    private mutating func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
    private mutating func chance(_ percent: Int) -> Bool { pick(100) < percent }

    mutating func document() -> String {
        var text = ""
        if chance(10) { text += "%YAML 1.1\n" }
        if chance(10) { text += "%TAG !e! tag:example.com,2000:\n" }
        let explicit = !text.isEmpty || chance(30)
        if explicit { text += "---" + (chance(50) ? "\n" : " ") }
        if chance(10) { text += "# a comment\n" }
        text += blockNode(indent: 0, depth: 0)
        if !text.hasSuffix("\n") { text += "\n" }
        if chance(20) { text += "...\n" }
        if chance(15) {
            text += "--- " + (chance(50) ? scalar(flow: false, indent: 0) : "[a, b]") + "\n"
        }
        return text
    }

    private mutating func properties() -> String {
        var parts: [String] = []
        if chance(12) {
            let name = "a\(pick(5))"
            anchors.append(name)
            parts.append("&\(name)")
        }
        if chance(10) {
            parts.append(["!", "!!str", "!!map", "!local", "!e!thing", "!<tag:yaml.org,2002:int>", "!%21x"][pick(7)])
        }
        if chance(50) { parts.reverse() }
        return parts.isEmpty ? "" : parts.joined(separator: " ") + " "
    }

    private mutating func key(flow: Bool) -> String {
        switch pick(6) {
        case 0: return "'k \(pick(9))'"
        case 1: return "\"k\\t\(pick(9))\""
        case 2: return "k\(pick(9)) x"
        case 3: return flow ? "[a, b]" : "k-\(pick(99))"
        default: return "key\(pick(20))"
        }
    }

    /// A node in the block context at `indent` (the caller wrote what precedes it on the line).
    private mutating func blockNode(indent: Int, depth: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        if depth < 4 && chance(35) {
            // A block mapping on the following lines.
            let child = indent + [1, 2, 4][pick(3)]
            var text = properties() + "\n"
            for _ in 0..<(1 + pick(4)) {
                text += String(repeating: " ", count: child)
                if chance(10) {
                    text += "? " + key(flow: false) + "\n" + String(repeating: " ", count: child) + ": "
                } else {
                    text += key(flow: false) + ":" + (chance(10) ? "" : " ")
                }
                text += value(indent: child, depth: depth + 1) + "\n"
                if chance(8) { text += pad + "  # comment\n" }
            }
            return String(text.dropLast())
        }
        if depth < 4 && chance(25) {
            let child = indent + [0, 1, 2][pick(3)]
            var text = properties() + "\n"
            for _ in 0..<(1 + pick(4)) {
                text += String(repeating: " ", count: child) + "-" + (chance(10) ? "" : " ")
                text += value(indent: child + 2, depth: depth + 1) + "\n"
            }
            return String(text.dropLast())
        }
        if depth < 5 && chance(25) { return properties() + flowNode(depth: depth) }
        if !anchors.isEmpty && chance(10) { return "*" + anchors[pick(anchors.count)] }
        return properties() + scalar(flow: false, indent: indent)
    }

    private mutating func value(indent: Int, depth: Int) -> String {
        if chance(8) { return "" }
        if chance(10) {
            // A compact sequence or mapping on the same line as `-`.
            return chance(50)
                ? "- a\n" + String(repeating: " ", count: indent) + "- b"
                : "x: 1\n"
                    + String(repeating: " ", count: indent) + "y: 2"
        }
        return blockNode(indent: indent, depth: depth)
    }

    private mutating func flowNode(depth: Int) -> String {
        if depth > 6 { return scalar(flow: true, indent: 0) }
        var items: [String] = []
        let mapping = chance(50)
        for _ in 0..<pick(4) {
            let item: String
            if mapping {
                if chance(10) {
                    item = "? " + key(flow: true)
                } else {
                    item = key(flow: true) + ": " + flowItem(depth: depth)
                }
            } else if chance(15) {
                item = key(flow: true) + ": " + flowItem(depth: depth)
            } else {
                item = flowItem(depth: depth)
            }
            items.append(item)
        }
        let separator = chance(20) ? ",\n  " : ", "
        let trailing = chance(10) && !items.isEmpty ? "," : ""
        return (mapping ? "{" : "[") + items.joined(separator: separator) + trailing + (mapping ? "}" : "]")
    }

    private mutating func flowItem(depth: Int) -> String {
        if chance(25) { return properties() + flowNode(depth: depth + 1) }
        if !anchors.isEmpty && chance(10) { return "*" + anchors[pick(anchors.count)] }
        return properties() + scalar(flow: true, indent: 0)
    }

    private mutating func scalar(flow: Bool, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent + 1)
        switch pick(flow ? 7 : 9) {
        case 0: return ["a b", "1.5", "~", "null", "true", "-x", "a:b", "a#b", ":x", "?x", "@x"][pick(11)]
        case 1: return "'it''s \(pick(9))'"
        case 2:
            let escapes = ["\\n", "\\t", "\\x41", "\\u00e9", "\\U0001F600", "\\\\", "\\\"", "\\ ", "\\/", "\\0", "\\_"]
            return "\"q " + escapes[pick(escapes.count)] + " " + escapes[pick(escapes.count)] + "\""
        case 3: return "'multi\n\(pad)line\n\n\(pad)text'"
        case 4: return "\"esc\\\n\(pad)aped \(pick(9))\""
        case 5: return "plain\n\(pad)folded\n\n\(pad)more"
        case 6: return "v\(pick(1000))"
        default:
            let header = ["|", ">", "|-", ">+", "|2", ">-1", "|+"][pick(7)]
            let body = String(repeating: " ", count: indent + 2)
            return header + (chance(20) ? " # c" : "") + "\n" + body + "line one\n" + body + "  more\n\n" + body
                + "last\n"
        }
    }
}
