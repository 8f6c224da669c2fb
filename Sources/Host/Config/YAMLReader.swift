import HeraldConfigModel
import HeraldCore
import Yams

/// Reads a YAML document into typed values while collecting every problem with its file, line and column, instead of
/// stopping at the first one. Pure: it is handed text, never a path to open.
package struct YAMLReader {
    package let file: String
    package private(set) var diagnostics: [Diagnostic] = []
    /// Problems that leave the file valid.
    package private(set) var warnings: [Diagnostic] = []

    /// Where the text sits in its file when it is a string embedded in another YAML file (a ConfigMap key written as
    /// a literal block): added to every line and column reported.
    package var lineOffset = 0
    package var columnOffset = 0

    package init(file: String) { self.file = file }

    /// Parses one YAML document. Nil (with diagnostics) when the text is not YAML, holds several documents, has
    /// duplicate keys or expands beyond `limits`. A leading UTF-8 byte-order mark is skipped.
    package mutating func parse(_ text: String, limits: YAMLLimits = .standard) -> Node? {
        guard let documents = compose(text, limits: limits, multipleDocuments: false) else { return nil }
        guard let root = documents.first else {
            report(line: 1, column: 1, "the file is empty", hint: "see the examples in the README")
            return nil
        }
        return root
    }

    /// Parses every YAML document of a stream (`---` between them, as in Kubernetes manifests), leaving out empty
    /// ones. Nil (with diagnostics) when the text is not YAML, has duplicate keys or expands beyond `limits`, which
    /// count the whole stream.
    package mutating func parseDocuments(_ text: String, limits: YAMLLimits = .standard) -> [Node]? {
        compose(text, limits: limits, multipleDocuments: true)?.filter { $0.tagName != .null }
    }

    private mutating func compose(_ text: String, limits: YAMLLimits, multipleDocuments: Bool) -> [Node]? {
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var prescan = YAMLPrescan(limits: limits, multipleDocuments: multipleDocuments)
        let composable = prescan.scan(bytes)
        for problem in prescan.problems {
            report(line: problem.line, column: problem.column, problem.message, hint: problem.hint)
        }
        guard composable, prescan.problems.isEmpty else { return nil }
        do {
            let yaml = String(decoding: bytes, as: UTF8.self)
            // The basic resolver leaves plain scalars untyped; `tagName` types them without regular expressions.
            let parser = try Parser(yaml: yaml, resolver: .basic, constructor: .default, encoding: .utf8)
            guard multipleDocuments else { return try parser.singleRoot().map { [$0] } ?? [] }
            var documents: [Node] = []
            while let root = try parser.nextRoot() { documents.append(root) }
            return documents
        } catch let error as YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                .composer(_, let problem, let mark, _):
                report(line: mark.line, column: mark.column, "invalid YAML: \(problem)")
            case .duplicatedKeysInMapping(let duplicates, let context):
                report(
                    line: context.mark.line, column: context.mark.column,
                    "this mapping gives a key twice: \(duplicates.joined(separator: ", "))")
            case .reader(let problem, _, _, _):
                report(line: 1, column: 1, "invalid YAML text: \(problem)")
            default:
                report(line: 1, column: 1, "invalid YAML: \(error)")
            }
            return nil
        } catch {
            report(line: 1, column: 1, "invalid YAML: \(error)")
            return nil
        }
    }

    package func location(_ node: Node?) -> SourceLocation {
        let mark = node?.mark
        return SourceLocation(
            file: file, line: (mark?.line ?? 1) + lineOffset, column: (mark?.column ?? 1) + columnOffset)
    }

    package mutating func error(_ node: Node?, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(location(node), message, hint: hint))
    }

    /// Records a warning: the file stays valid.
    package mutating func warn(_ node: Node?, _ message: String, hint: String? = nil) {
        warnings.append(Diagnostic(location(node), message, hint: hint, severity: .warning))
    }

    package mutating func report(line: Int, column: Int, _ message: String, hint: String? = nil) {
        diagnostics.append(
            Diagnostic(
                SourceLocation(file: file, line: line + lineOffset, column: column + columnOffset), message, hint: hint)
        )
    }

    /// A mapping's entries by key, reporting unknown keys (with a suggestion), duplicate keys, missing required keys
    /// and a node that is not a mapping at all.
    package mutating func mapping(
        _ node: Node, path: String, known: [String], required: [String] = []
    ) -> [String: Node]? {
        guard let mapping = node.mapping else {
            error(node, "\(path) must be a mapping (key: value), found \(kind(of: node))")
            return nil
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                error(keyNode, "\(path) has a key that is not a plain string")
                continue
            }
            if result[key] != nil {
                error(keyNode, "\(join(path, key)) is given twice")
                continue
            }
            if !known.contains(key) {
                error(keyNode, "unknown key \"\(key)\" in \(path)", hint: suggestion(for: key, among: known))
                continue
            }
            result[key] = value
        }
        for key in required where result[key] == nil {
            error(node, "\(path) is missing the required key \"\(key)\"")
        }
        return result
    }

    package mutating func string(_ node: Node?, path: String) -> String? {
        guard let node else { return nil }
        let tag = node.tagName
        guard let scalar = node.scalar, tag != .null, tag != .bool else {
            error(node, "\(path) must be a string, found \(kind(of: node))")
            return nil
        }
        return scalar.string
    }

    /// A string that must not be empty and must be a DNS-1123 label-like name (lowercase, digits, '-', '.').
    package mutating func name(_ node: Node?, path: String) -> String? {
        guard let node, let value = string(node, path: path) else { return nil }
        let allowed = value.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
        guard !value.isEmpty, value.utf8.count <= 253, allowed else {
            error(node, "\(path) \"\(value)\" is not a valid name", hint: "use lowercase letters, digits, '-' and '.'")
            return nil
        }
        return value
    }

    package mutating func bool(_ node: Node?, path: String) -> Bool? {
        guard let node else { return nil }
        guard node.tagName == .bool, let value = node.boolValue else {
            error(node, "\(path) must be true or false, found \(kind(of: node))")
            return nil
        }
        return value
    }

    package mutating func int(_ node: Node?, path: String, range: ClosedRange<Int>) -> Int? {
        guard let node else { return nil }
        guard node.tagName == .int else {
            error(node, "\(path) must be an integer, found \(kind(of: node))")
            return nil
        }
        guard let value = node.int else {
            error(
                node,
                "\(path) is out of range: it must be between \(range.lowerBound) and \(range.upperBound), "
                    + "found \(node.scalar?.string ?? "")")
            return nil
        }
        guard range.contains(value) else {
            error(
                node,
                "\(path) is out of range: it must be between \(range.lowerBound) and \(range.upperBound), found \(value)"
            )
            return nil
        }
        return value
    }

    /// A sequence, or nil (with a diagnostic) when the node is something else.
    package mutating func sequence(_ node: Node?, path: String) -> [Node]? {
        guard let node else { return nil }
        guard let sequence = node.sequence else {
            error(node, "\(path) must be a list, found \(kind(of: node))")
            return nil
        }
        return Array(sequence)
    }

    package mutating func stringList(_ node: Node?, path: String) -> [(String, Node)]? {
        guard let items = sequence(node, path: path) else { return nil }
        return items.enumerated().compactMap { index, item in
            string(item, path: "\(path)[\(index)]").map { ($0, item) }
        }
    }

    package mutating func stringMap(_ node: Node?, path: String) -> [String: String]? {
        guard let node else { return nil }
        guard let mapping = node.mapping else {
            error(node, "\(path) must be a mapping of strings, found \(kind(of: node))")
            return nil
        }
        var result: [String: String] = [:]
        for (k, v) in mapping {
            guard let key = k.scalar?.string else {
                error(k, "\(path) has a key that is not a string")
                continue
            }
            if let value = string(v, path: join(path, key)) { result[key] = value }
        }
        return result
    }

    /// A Kubernetes label selector: `matchLabels` and `matchExpressions`.
    package mutating func labelSelector(_ node: Node, path: String) -> LabelSelector? {
        guard let fields = mapping(node, path: path, known: ["matchLabels", "matchExpressions"]) else { return nil }
        var selector = LabelSelector()
        if let labels = stringMap(fields["matchLabels"], path: "\(path).matchLabels") { selector.matchLabels = labels }
        for (index, item) in (sequence(fields["matchExpressions"], path: "\(path).matchExpressions") ?? []).enumerated()
        {
            let itemPath = "\(path).matchExpressions[\(index)]"
            guard
                let e = mapping(
                    item, path: itemPath, known: ["key", "operator", "values"], required: ["key", "operator"]),
                let key = string(e["key"], path: "\(itemPath).key"),
                let opText = string(e["operator"], path: "\(itemPath).operator")
            else { continue }
            guard let op = LabelSelector.Operator(rawValue: opText) else {
                let known = LabelSelector.Operator.allCases.map(\.rawValue).joined(separator: ", ")
                error(e["operator"], "\(itemPath).operator \"\(opText)\" is not one of \(known)")
                continue
            }
            let values = stringList(e["values"], path: "\(itemPath).values")?.map(\.0) ?? []
            if (op == .in || op == .notIn) && values.isEmpty {
                error(item, "\(itemPath) uses \(op.rawValue) and needs a non-empty \"values\" list")
                continue
            }
            if (op == .exists || op == .doesNotExist) && !values.isEmpty {
                error(e["values"], "\(itemPath) uses \(op.rawValue), which takes no \"values\"")
                continue
            }
            selector.matchExpressions.append(.init(key: key, op: op, values: values))
        }
        return selector
    }

    package func kind(of node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar(let s):
            switch node.tagName {
            case .null: "null"
            case .bool: "a boolean (\(s.string))"
            case .int: "an integer (\(s.string))"
            case .float: "a number (\(s.string))"
            default: "a string (\"\(s.string)\")"
            }
        }
    }

    package func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

/// "did you mean …?" for a misspelt key, when one known key is close enough.
package func suggestion(for key: String, among known: [String], listing: String = "known keys") -> String? {
    let scored = known.map { ($0, editDistance(key.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(1, best.0.count / 3) else {
        return known.isEmpty ? nil : "\(listing): " + known.joined(separator: ", ")
    }
    return "did you mean \"\(best.0)\"?"
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8)
    let b = Array(b.utf8)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

extension Node {
    /// The resolved tag's name (`tag:yaml.org,2002:int`…), comparable with `Tag.Name` constants. A plain scalar
    /// (the basic resolver calls it a string) is typed by `ScalarResolver`; quoted scalars stay strings.
    package var tagName: Tag.Name {
        let name = Tag.Name(rawValue: tag.rawValue)
        if case .scalar(let scalar) = self, scalar.style == .plain, name == .str {
            return ScalarResolver.resolve(scalar.string)
        }
        return name
    }

    /// The value of a scalar YAML types as a boolean (`true`, `yes`, `on`…), else nil.
    package var boolValue: Bool? {
        guard tagName == .bool, let text = scalar?.string.lowercased() else { return nil }
        return text == "true" || text == "yes" || text == "on"
    }
}
