import HeraldYAML

/// One pass over a YAML file's parse events (HeraldYAML's, which are libyaml's), before Yams builds any value: bounds
/// what aliases may expand to (see ``YAMLLimits``), finds every duplicate key at its own position, and turns the
/// parser's own errors (a NUL byte, invalid UTF-8, bad indentation) into a line and column. Linear in the size of the file whatever its aliases say,
/// because an alias adds its anchor's size arithmetically instead of being copied.
struct YAMLPrescan {
    struct Problem: Equatable {
        var line: Int
        var column: Int
        var message: String
        var hint: String?
    }

    /// The size of a subtree once expanded.
    private struct Size {
        var nodes = 0
        var bytes = 0
    }

    /// An open list or mapping.
    private struct Frame {
        var anchor: String?
        var isMapping: Bool
        var size = Size(nodes: 1)
        /// In a mapping: the next node is a key.
        var expectingKey = true
        var keys: [String: (line: Int, column: Int)] = [:]
    }

    let limits: YAMLLimits
    private(set) var problems: [Problem] = []
    private var anchors: [String: Size] = [:]
    private var aliasCount = 0
    private var total = Size()
    private var stack: [Frame] = []

    /// Whether a file may hold several documents (manifests); herald.yaml and plugins.d files hold one.
    let multipleDocuments: Bool

    init(limits: YAMLLimits, multipleDocuments: Bool = false) {
        self.limits = limits
        self.multipleDocuments = multipleDocuments
    }

    /// Scans `bytes` (UTF-8). Returns false when the file must not be composed (a limit or a syntax error); duplicate
    /// keys are reported but the scan goes on so that every one is listed.
    mutating func scan(_ bytes: [UInt8]) -> Bool {
        var parser = YAMLParser(bytes: bytes)
        var documents = 0
        while true {
            let next: YAMLEvent?
            do {
                next = try parser.next()
            } catch {
                problems.append(Self.syntaxProblem(error, bytes: bytes))
                return false
            }
            guard let event = next else { return true }
            let line = event.start.line
            let column = event.start.column
            switch event.kind {
            case .streamEnd:
                return true
            case .documentStart:
                documents += 1
                if documents > 1 && !multipleDocuments {
                    return refuse(
                        line, column, "the file holds more than one YAML document",
                        hint: "remove the second '---' and what follows, or merge the documents")
                }
            case .scalar(let properties, let key, _, _, _):
                if let parent = stack.indices.last, stack[parent].isMapping, stack[parent].expectingKey {
                    if let first = stack[parent].keys[key] {
                        problems.append(
                            Problem(
                                line: line, column: column,
                                message: "key \"\(key)\" is given twice in this mapping",
                                hint: "first at line \(first.line), column \(first.column); keep one"))
                    } else {
                        stack[parent].keys[key] = (line, column)
                    }
                }
                guard add(Size(nodes: 1, bytes: key.utf8.count), anchor: properties.anchor, line, column) else {
                    return false
                }
            case .alias(let name):
                aliasCount += 1
                guard aliasCount <= limits.aliases else {
                    return refuse(
                        line, column, "the file uses more than \(limits.aliases) aliases",
                        hint: "write the values out, or use fewer *references")
                }
                guard let size = anchors[name] else {
                    return refuse(line, column, "alias *\(name) names no anchor defined before it")
                }
                guard add(size, anchor: nil, line, column, alias: name) else { return false }
            case .sequenceStart(let properties, _, _):
                guard open(anchor: properties.anchor, isMapping: false, line, column) else { return false }
            case .mappingStart(let properties, _, _):
                guard open(anchor: properties.anchor, isMapping: true, line, column) else { return false }
            case .sequenceEnd, .mappingEnd:
                guard let frame = stack.popLast() else { break }
                if let anchor = frame.anchor { anchors[anchor] = frame.size }
                addToParent(frame.size)
            case .streamStart, .documentEnd:
                break
            }
        }
    }

    /// Records a problem that stops the scan; false, for the caller to return.
    private mutating func refuse(_ line: Int, _ column: Int, _ message: String, hint: String? = nil) -> Bool {
        problems.append(Problem(line: line, column: column, message: message, hint: hint))
        return false
    }

    private mutating func open(anchor: String?, isMapping: Bool, _ line: Int, _ column: Int) -> Bool {
        guard stack.count < limits.depth else {
            return refuse(
                line, column, "lists and mappings are nested more than \(limits.depth) deep here",
                hint: "no Herald configuration needs this depth")
        }
        guard count(Size(nodes: 1), line, column, alias: nil) else { return false }
        if anchor != nil, !defineAnchor(line, column) { return false }
        stack.append(Frame(anchor: anchor, isMapping: isMapping))
        return true
    }

    /// A scalar or an alias: counted, recorded as an anchor, added to its parent.
    private mutating func add(_ size: Size, anchor: String?, _ line: Int, _ column: Int, alias: String? = nil) -> Bool {
        guard count(size, line, column, alias: alias) else { return false }
        if let anchor {
            guard defineAnchor(line, column) else { return false }
            anchors[anchor] = size
        }
        addToParent(size)
        return true
    }

    private mutating func addToParent(_ size: Size) {
        guard let parent = stack.indices.last else { return }
        stack[parent].size.nodes += size.nodes
        stack[parent].size.bytes += size.bytes
        if stack[parent].isMapping { stack[parent].expectingKey.toggle() }
    }

    private mutating func defineAnchor(_ line: Int, _ column: Int) -> Bool {
        guard anchors.count < limits.anchors else {
            return refuse(
                line, column, "the file defines more than \(limits.anchors) anchors",
                hint: "write the values out, or use fewer &anchors")
        }
        return true
    }

    /// Adds to the expanded document's size; false (with a problem at the node that crossed a limit) beyond a limit.
    private mutating func count(_ size: Size, _ line: Int, _ column: Int, alias: String?) -> Bool {
        total.nodes += size.nodes
        total.bytes += size.bytes
        let what = alias.map { "alias *\($0)" } ?? "this node"
        if total.nodes > limits.nodes {
            return refuse(
                line, column, "\(what) makes the file expand to more than \(limits.nodes) values",
                hint: "aliases are copied where they are used; write fewer or smaller ones")
        }
        if total.bytes > limits.scalarBytes {
            return refuse(
                line, column, "\(what) makes the file expand to more than \(limits.scalarBytes >> 20) MiB of text",
                hint: "aliases are copied where they are used; write fewer or smaller ones")
        }
        return true
    }

    /// The parser's error at its position: the mark it gives, or (for the reader's errors about bytes) the line and
    /// column of the offending byte's offset.
    private static func syntaxProblem(_ error: YAMLError, bytes: [UInt8]) -> Problem {
        if error.stage == .reader {
            let (line, column) = TextPosition.of(byte: error.mark.offset, in: bytes)
            let detail: String
            switch error.value {
            case 0?: detail = "a NUL byte"
            case let value?: detail = "byte 0x\(String(value, radix: 16))"
            case nil: detail = "a byte"
            }
            let message =
                error.problem == "control characters are not allowed"
                ? "\(detail) (a control character) is not allowed in YAML text"
                : "invalid YAML text: \(error.problem) (\(detail))"
            return Problem(line: line, column: column, message: message)
        }
        let offset = error.mark.offset
        if error.stage == .scanner, offset < bytes.count, bytes[offset] == UInt8(ascii: "\t") {
            return Problem(
                line: error.mark.line, column: error.mark.column,
                message: "invalid YAML: a tab where YAML allows only spaces", hint: "indent with spaces")
        }
        let context = error.context.map { "\($0): " } ?? ""
        return Problem(
            line: error.mark.line, column: error.mark.column, message: "invalid YAML: \(context)\(error.problem)")
    }
}
