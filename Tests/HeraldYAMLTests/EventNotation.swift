import HeraldYAML

/// Events written one a line, in the notation of the YAML test suite: `+STR`, `+DOC ---`, `+MAP {} &a <tag>`,
/// `=VAL :plain`, `=VAL 'single`, `=VAL "double`, `=VAL |literal`, `=VAL >folded`, `=ALI *a`, `-SEQ`, `-DOC ...`,
/// `-STR`; line breaks in values as `\n`.
enum EventNotation {
    static func of(_ text: String) throws(YAMLError) -> [String] {
        try YAMLParser.events(of: Array(text.utf8)).map(line)
    }

    static func line(_ event: YAMLEvent) -> String {
        func properties(_ p: YAMLNodeProperties) -> String {
            (p.anchor.map { " &\($0)" } ?? "") + (p.tag.map { " <\($0)>" } ?? "")
        }
        switch event.kind {
        case .streamStart: return "+STR"
        case .streamEnd: return "-STR"
        case .documentStart(let implicit, _, _): return implicit ? "+DOC" : "+DOC ---"
        case .documentEnd(let implicit): return implicit ? "-DOC" : "-DOC ..."
        case .sequenceStart(let p, _, let style): return "+SEQ" + (style == .flow ? " []" : "") + properties(p)
        case .sequenceEnd: return "-SEQ"
        case .mappingStart(let p, _, let style): return "+MAP" + (style == .flow ? " {}" : "") + properties(p)
        case .mappingEnd: return "-MAP"
        case .alias(let name): return "=ALI *\(name)"
        case .scalar(let p, let value, _, _, let style):
            let indicator =
                switch style {
                case .plain: ":"
                case .singleQuoted: "'"
                case .doubleQuoted: "\""
                case .literal: "|"
                case .folded: ">"
                }
            let escaped = value.replacingOccurrences("\\", "\\\\").replacingOccurrences("\n", "\\n")
                .replacingOccurrences("\t", "\\t")
            return "=VAL" + properties(p) + " " + indicator + escaped
        }
    }

    /// The error `text` gives, as `line:column: context: problem`.
    static func error(_ text: String) -> String? {
        error(Array(text.utf8))
    }

    static func error(_ bytes: [UInt8]) -> String? {
        do {
            _ = try YAMLParser.events(of: bytes)
            return nil
        } catch {
            return error.description
        }
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
