/// Parses YAML text into the events of YAML 1.1's serialization: stream, documents, sequences, mappings, scalars
/// and aliases, each with its start mark, before any value is built. Pure (no I/O), linear in the input, and
/// iterative: nesting is kept on explicit stacks, and limited to `maximumDepth` collections.
///
///     var parser = YAMLParser(bytes: Array(text.utf8))
///     while let event = try parser.next() { ... }
package struct YAMLParser {
    /// What the parser expects next: the states of YAML's grammar.
    private enum State {
        case streamStart
        case implicitDocumentStart
        case documentStart
        case documentContent
        case documentEnd
        case blockNode
        case blockSequenceFirstEntry
        case blockSequenceEntry
        case indentlessSequenceEntry
        case blockMappingFirstKey
        case blockMappingKey
        case blockMappingValue
        case flowSequenceFirstEntry
        case flowSequenceEntry
        case flowSequenceEntryMappingKey
        case flowSequenceEntryMappingValue
        case flowSequenceEntryMappingEnd
        case flowMappingFirstKey
        case flowMappingKey
        case flowMappingValue
        case flowMappingEmptyValue
        case end
    }

    /// Collections nested deeper than this are refused (as libyaml does, at 1000).
    package static let maximumDepth = 1000

    private var scanner: YAMLScanner
    private var state = State.streamStart
    private var states: [State] = []
    /// Where each open collection started, for errors.
    private var marks: [YAMLMark] = []
    private var tagDirectives: [(handle: [UInt8], prefix: [UInt8])] = []
    private var failure: YAMLError?

    /// A parser of `bytes`, UTF-8 text (a byte-order mark at the start of a line is skipped).
    package init(bytes: [UInt8]) {
        scanner = YAMLScanner(bytes: bytes)
    }

    /// The next event; nil after the stream's end. After an error, every call throws it again.
    package mutating func next() throws(YAMLError) -> YAMLEvent? {
        if let failure { throw failure }
        guard state != .end else { return nil }
        do {
            return try parse()
        } catch {
            failure = error
            throw error
        }
    }

    /// Every event of `bytes`, up to the stream's end.
    package static func events(of bytes: [UInt8]) throws(YAMLError) -> [YAMLEvent] {
        var parser = YAMLParser(bytes: bytes)
        var events: [YAMLEvent] = []
        while let event = try parser.next() { events.append(event) }
        return events
    }

    private func error(_ context: String?, _ contextMark: YAMLMark?, _ problem: String, _ mark: YAMLMark) -> YAMLError {
        YAMLError(.parser, context: context, contextMark: contextMark, problem: problem, mark: mark)
    }

    private mutating func parse() throws(YAMLError) -> YAMLEvent {
        switch state {
        case .streamStart:
            let token = try scanner.peek()
            guard case .streamStart = token.kind else {
                throw error(nil, nil, "did not find expected <stream-start>", token.start)
            }
            state = .implicitDocumentStart
            scanner.skip()
            return YAMLEvent(.streamStart, at: token.start)
        case .implicitDocumentStart: return try documentStart(implicit: true)
        case .documentStart: return try documentStart(implicit: false)
        case .documentContent:
            let token = try scanner.peek()
            switch token.kind {
            case .versionDirective, .tagDirective, .documentStart, .documentEnd, .streamEnd:
                state = states.removeLast()
                return Self.emptyScalar(token.start)
            default:
                return try node(block: true, indentlessSequence: false)
            }
        case .documentEnd:
            let token = try scanner.peek()
            var implicit = true
            if case .documentEnd = token.kind {
                scanner.skip()
                implicit = false
            }
            tagDirectives.removeAll()
            state = .documentStart
            return YAMLEvent(.documentEnd(implicit: implicit), at: token.start)
        case .blockNode: return try node(block: true, indentlessSequence: false)
        case .blockSequenceFirstEntry: return try blockSequenceEntry(first: true)
        case .blockSequenceEntry: return try blockSequenceEntry(first: false)
        case .indentlessSequenceEntry: return try indentlessSequenceEntry()
        case .blockMappingFirstKey: return try blockMappingKey(first: true)
        case .blockMappingKey: return try blockMappingKey(first: false)
        case .blockMappingValue: return try blockMappingValue()
        case .flowSequenceFirstEntry: return try flowSequenceEntry(first: true)
        case .flowSequenceEntry: return try flowSequenceEntry(first: false)
        case .flowSequenceEntryMappingKey: return try flowSequenceEntryMappingKey()
        case .flowSequenceEntryMappingValue: return try flowSequenceEntryMappingValue()
        case .flowSequenceEntryMappingEnd:
            let token = try scanner.peek()
            state = .flowSequenceEntry
            return YAMLEvent(.mappingEnd, at: token.start)
        case .flowMappingFirstKey: return try flowMappingKey(first: true)
        case .flowMappingKey: return try flowMappingKey(first: false)
        case .flowMappingValue: return try flowMappingValue(empty: false)
        case .flowMappingEmptyValue: return try flowMappingValue(empty: true)
        case .end: preconditionFailure("no event after the stream's end")
        }
    }

    private static func emptyScalar(_ mark: YAMLMark) -> YAMLEvent {
        YAMLEvent(
            .scalar(YAMLNodeProperties(), value: "", plainImplicit: true, quotedImplicit: false, style: .plain),
            at: mark)
    }

    // MARK: Documents

    private mutating func documentStart(implicit: Bool) throws(YAMLError) -> YAMLEvent {
        var token = try scanner.peek()
        if !implicit {
            // `...` lines between documents.
            while case .documentEnd = token.kind {
                scanner.skip()
                token = try scanner.peek()
            }
        }
        switch token.kind {
        case .streamEnd:
            state = .end
            scanner.skip()
            return YAMLEvent(.streamEnd, at: token.start)
        case .versionDirective, .tagDirective, .documentStart:
            let start = token.start
            let (version, tags) = try directives()
            token = try scanner.peek()
            guard case .documentStart = token.kind else {
                throw error(nil, nil, "did not find expected <document start>", token.start)
            }
            states.append(.documentEnd)
            state = .documentContent
            scanner.skip()
            return YAMLEvent(.documentStart(implicit: false, version: version, tags: tags), at: start)
        default:
            guard implicit else {
                // After a document, the next one must start with `---`.
                _ = try directives()
                token = try scanner.peek()
                throw error(nil, nil, "did not find expected <document start>", token.start)
            }
            _ = try directives()
            states.append(.documentEnd)
            state = .blockNode
            return YAMLEvent(.documentStart(implicit: true, version: nil, tags: []), at: token.start)
        }
    }

    /// `%YAML` and `%TAG` directives before a document, and the default handles `!` and `!!`.
    private mutating func directives() throws(YAMLError) -> (YAMLVersion?, [YAMLTagDirective]) {
        var version: YAMLVersion?
        var tags: [YAMLTagDirective] = []
        while true {
            let token = try scanner.peek()
            switch token.kind {
            case .versionDirective(let major, let minor):
                guard version == nil else { throw error(nil, nil, "found duplicate %YAML directive", token.start) }
                guard major == 1, minor == 1 || minor == 2 else {
                    throw error(nil, nil, "found incompatible YAML document", token.start)
                }
                version = YAMLVersion(major: major, minor: minor)
            case .tagDirective(let handle, let prefix):
                guard !tagDirectives.contains(where: { $0.handle == handle }) else {
                    throw error(nil, nil, "found duplicate %TAG directive", token.start)
                }
                let prefix = Self.upToNUL(prefix)
                tagDirectives.append((handle, prefix))
                tags.append(YAMLTagDirective(handle: Self.text(handle), prefix: Self.text(prefix)))
            default:
                for (handle, prefix) in [("!", "!"), ("!!", "tag:yaml.org,2002:")]
                where !tagDirectives.contains(where: { $0.handle == Array(handle.utf8) }) {
                    tagDirectives.append((Array(handle.utf8), Array(prefix.utf8)))
                }
                return (version, tags)
            }
            scanner.skip()
        }
    }

    private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// A tag (or `%TAG` prefix) ends at a NUL byte, which only a `%00` escape can put there: libyaml's strings end
    /// there, and so do the tags it reports.
    private static func upToNUL(_ bytes: [UInt8]) -> [UInt8] {
        guard let end = bytes.firstIndex(of: 0) else { return bytes }
        return Array(bytes[..<end])
    }

    // MARK: Nodes

    /// A node: an alias, or properties (anchor, tag) and content. `indentlessSequence`: a `-` entry at the
    /// indentation of the mapping it is a value of starts a sequence.
    private mutating func node(block: Bool, indentlessSequence: Bool) throws(YAMLError) -> YAMLEvent {
        var token = try scanner.peek()
        if case .alias(let name) = token.kind {
            state = states.removeLast()
            scanner.skip()
            return YAMLEvent(.alias(Self.text(name)), at: token.start)
        }
        let start = token.start
        var tagMark = token.start
        var anchor: [UInt8]?
        var tagToken: (handle: [UInt8], suffix: [UInt8])?
        for _ in 0..<2 {
            if anchor == nil, case .anchor(let name) = token.kind {
                anchor = name
            } else if tagToken == nil, case .tag(let handle, let suffix) = token.kind {
                tagToken = (handle, suffix)
                tagMark = token.start
            } else {
                break
            }
            scanner.skip()
            token = try scanner.peek()
        }
        var tag: String?
        if let tagToken {
            if tagToken.handle.isEmpty {
                tag = Self.text(Self.upToNUL(tagToken.suffix))
            } else if let directive = tagDirectives.first(where: { $0.handle == tagToken.handle }) {
                tag = Self.text(Self.upToNUL(directive.prefix + tagToken.suffix))
            } else {
                throw error("while parsing a node", start, "found undefined tag handle", tagMark)
            }
        }
        let properties = YAMLNodeProperties(anchor: anchor.map(Self.text), tag: tag)
        let implicit = tag?.isEmpty ?? true
        switch token.kind {
        case .blockEntry where indentlessSequence:
            state = .indentlessSequenceEntry
            return YAMLEvent(.sequenceStart(properties, implicit: implicit, style: .block), at: start)
        case .scalar(let value, let style):
            let plainImplicit = (style == .plain && tag == nil) || tag == "!"
            state = states.removeLast()
            scanner.skip()
            return YAMLEvent(
                .scalar(
                    properties, value: Self.text(value), plainImplicit: plainImplicit,
                    quotedImplicit: !plainImplicit && tag == nil, style: style),
                at: start)
        case .flowSequenceStart:
            try checkDepth(start, token.start)
            state = .flowSequenceFirstEntry
            return YAMLEvent(.sequenceStart(properties, implicit: implicit, style: .flow), at: start)
        case .flowMappingStart:
            try checkDepth(start, token.start)
            state = .flowMappingFirstKey
            return YAMLEvent(.mappingStart(properties, implicit: implicit, style: .flow), at: start)
        case .blockSequenceStart where block:
            try checkDepth(start, token.start)
            state = .blockSequenceFirstEntry
            return YAMLEvent(.sequenceStart(properties, implicit: implicit, style: .block), at: start)
        case .blockMappingStart where block:
            try checkDepth(start, token.start)
            state = .blockMappingFirstKey
            return YAMLEvent(.mappingStart(properties, implicit: implicit, style: .block), at: start)
        default:
            if anchor != nil || tag != nil {
                // Properties and no content: an empty scalar.
                state = states.removeLast()
                return YAMLEvent(
                    .scalar(properties, value: "", plainImplicit: implicit, quotedImplicit: false, style: .plain),
                    at: start)
            }
            throw error(
                block ? "while parsing a block node" : "while parsing a flow node", start,
                "did not find expected node content", token.start)
        }
    }

    private mutating func checkDepth(_ start: YAMLMark, _ mark: YAMLMark) throws(YAMLError) {
        guard scanner.indents.count < Self.maximumDepth - scanner.flowLevel else {
            throw error(
                "while parsing", start, "Maximum nesting level reached, set with yaml_set_max_nest_level())", mark)
        }
    }

    // MARK: Block collections

    private mutating func blockSequenceEntry(first: Bool) throws(YAMLError) -> YAMLEvent {
        if first {
            marks.append(try scanner.peek().start)
            scanner.skip()
        }
        var token = try scanner.peek()
        switch token.kind {
        case .blockEntry:
            let mark = token.end
            scanner.skip()
            token = try scanner.peek()
            switch token.kind {
            case .blockEntry, .blockEnd:
                state = .blockSequenceEntry
                return Self.emptyScalar(mark)
            default:
                states.append(.blockSequenceEntry)
                return try node(block: true, indentlessSequence: false)
            }
        case .blockEnd:
            state = states.removeLast()
            marks.removeLast()
            scanner.skip()
            return YAMLEvent(.sequenceEnd, at: token.start)
        default:
            throw error(
                "while parsing a block collection", marks.removeLast(), "did not find expected '-' indicator",
                token.start)
        }
    }

    private mutating func indentlessSequenceEntry() throws(YAMLError) -> YAMLEvent {
        var token = try scanner.peek()
        guard case .blockEntry = token.kind else {
            state = states.removeLast()
            return YAMLEvent(.sequenceEnd, at: token.start)
        }
        let mark = token.end
        scanner.skip()
        token = try scanner.peek()
        switch token.kind {
        case .blockEntry, .key, .value, .blockEnd:
            state = .indentlessSequenceEntry
            return Self.emptyScalar(mark)
        default:
            states.append(.indentlessSequenceEntry)
            return try node(block: true, indentlessSequence: false)
        }
    }

    private mutating func blockMappingKey(first: Bool) throws(YAMLError) -> YAMLEvent {
        if first {
            marks.append(try scanner.peek().start)
            scanner.skip()
        }
        var token = try scanner.peek()
        switch token.kind {
        case .key:
            let mark = token.end
            scanner.skip()
            token = try scanner.peek()
            switch token.kind {
            case .key, .value, .blockEnd:
                state = .blockMappingValue
                return Self.emptyScalar(mark)
            default:
                states.append(.blockMappingValue)
                return try node(block: true, indentlessSequence: true)
            }
        case .blockEnd:
            state = states.removeLast()
            marks.removeLast()
            scanner.skip()
            return YAMLEvent(.mappingEnd, at: token.start)
        default:
            throw error(
                "while parsing a block mapping", marks.removeLast(), "did not find expected key", token.start)
        }
    }

    private mutating func blockMappingValue() throws(YAMLError) -> YAMLEvent {
        var token = try scanner.peek()
        guard case .value = token.kind else {
            state = .blockMappingKey
            return Self.emptyScalar(token.start)
        }
        let mark = token.end
        scanner.skip()
        token = try scanner.peek()
        switch token.kind {
        case .key, .value, .blockEnd:
            state = .blockMappingKey
            return Self.emptyScalar(mark)
        default:
            states.append(.blockMappingKey)
            return try node(block: true, indentlessSequence: true)
        }
    }

    // MARK: Flow collections

    private mutating func flowSequenceEntry(first: Bool) throws(YAMLError) -> YAMLEvent {
        if first {
            marks.append(try scanner.peek().start)
            scanner.skip()
        }
        var token = try scanner.peek()
        if !token.isFlowSequenceEnd {
            if !first {
                guard case .flowEntry = token.kind else {
                    throw error(
                        "while parsing a flow sequence", marks.removeLast(), "did not find expected ',' or ']'",
                        token.start)
                }
                scanner.skip()
                token = try scanner.peek()
            }
            if case .key = token.kind {
                // `[? a : b]` or `[a: b]`: a mapping of one pair.
                state = .flowSequenceEntryMappingKey
                scanner.skip()
                return YAMLEvent(.mappingStart(YAMLNodeProperties(), implicit: true, style: .flow), at: token.start)
            }
            if !token.isFlowSequenceEnd {
                states.append(.flowSequenceEntry)
                return try node(block: false, indentlessSequence: false)
            }
        }
        state = states.removeLast()
        marks.removeLast()
        scanner.skip()
        return YAMLEvent(.sequenceEnd, at: token.start)
    }

    private mutating func flowSequenceEntryMappingKey() throws(YAMLError) -> YAMLEvent {
        let token = try scanner.peek()
        switch token.kind {
        case .value, .flowEntry:
            scanner.skip()
            state = .flowSequenceEntryMappingValue
            return Self.emptyScalar(token.end)
        case .flowSequenceEnd:
            state = .flowSequenceEntryMappingValue
            return Self.emptyScalar(token.start)
        default:
            states.append(.flowSequenceEntryMappingValue)
            return try node(block: false, indentlessSequence: false)
        }
    }

    private mutating func flowSequenceEntryMappingValue() throws(YAMLError) -> YAMLEvent {
        var token = try scanner.peek()
        if case .value = token.kind {
            scanner.skip()
            token = try scanner.peek()
            switch token.kind {
            case .flowEntry, .flowSequenceEnd: break
            default:
                states.append(.flowSequenceEntryMappingEnd)
                return try node(block: false, indentlessSequence: false)
            }
        }
        state = .flowSequenceEntryMappingEnd
        return Self.emptyScalar(token.start)
    }

    private mutating func flowMappingKey(first: Bool) throws(YAMLError) -> YAMLEvent {
        if first {
            marks.append(try scanner.peek().start)
            scanner.skip()
        }
        var token = try scanner.peek()
        if !token.isFlowMappingEnd {
            if !first {
                guard case .flowEntry = token.kind else {
                    throw error(
                        "while parsing a flow mapping", marks.removeLast(), "did not find expected ',' or '}'",
                        token.start)
                }
                scanner.skip()
                token = try scanner.peek()
            }
            if case .key = token.kind {
                scanner.skip()
                token = try scanner.peek()
                switch token.kind {
                case .value, .flowEntry, .flowMappingEnd:
                    state = .flowMappingValue
                    return Self.emptyScalar(token.start)
                default:
                    states.append(.flowMappingValue)
                    return try node(block: false, indentlessSequence: false)
                }
            }
            if !token.isFlowMappingEnd {
                states.append(.flowMappingEmptyValue)
                return try node(block: false, indentlessSequence: false)
            }
        }
        state = states.removeLast()
        marks.removeLast()
        scanner.skip()
        return YAMLEvent(.mappingEnd, at: token.start)
    }

    private mutating func flowMappingValue(empty: Bool) throws(YAMLError) -> YAMLEvent {
        var token = try scanner.peek()
        if empty {
            state = .flowMappingKey
            return Self.emptyScalar(token.start)
        }
        if case .value = token.kind {
            scanner.skip()
            token = try scanner.peek()
            switch token.kind {
            case .flowEntry, .flowMappingEnd: break
            default:
                states.append(.flowMappingKey)
                return try node(block: false, indentlessSequence: false)
            }
        }
        state = .flowMappingKey
        return Self.emptyScalar(token.start)
    }
}

extension YAMLToken {
    fileprivate var isFlowSequenceEnd: Bool {
        if case .flowSequenceEnd = kind { true } else { false }
    }

    fileprivate var isFlowMappingEnd: Bool {
        if case .flowMappingEnd = kind { true } else { false }
    }
}
