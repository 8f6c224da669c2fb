/// Turns YAML text (UTF-8 bytes) into tokens, as YAML 1.1 describes them: indentation opens and closes block
/// collections (`blockSequenceStart`, `blockMappingStart`, `blockEnd`), and a simple key (`key: value` without `?`)
/// is found when its `:` is, by inserting a `key` token before the key's first token.
///
/// The rules on simple keys are YAML's: a simple key is on one line and at most 1024 characters long; in the block
/// context a key that starts at the current indentation must find its `:` (it is required). Each flow level has
/// one possible simple key. The scanner reads ahead only while a simple key may still start at the next token the
/// parser wants, so tokens are queued for a line at most.
struct YAMLScanner {
    /// Where a simple key may start, and what it would be.
    private struct SimpleKey {
        var possible = false
        var required = false
        var tokenNumber = 0
        var mark = YAMLMark(line: 1, column: 1, offset: 0)
        /// Characters from the start of the input (a line break counts as its characters).
        var index = 0
    }

    private let bytes: [UInt8]
    /// Position: byte offset, 0-based line and column (characters), characters read.
    private var pos = 0
    private var line = 0
    private var column = 0
    private var index = 0

    private var tokens: [YAMLToken] = []
    private var head = 0
    /// Tokens handed to the parser so far.
    private(set) var tokensParsed = 0
    private var streamStartProduced = false
    private var streamEndProduced = false
    /// The column of the innermost block collection (-1 outside any), and the enclosing ones.
    private var indent = -1
    private(set) var indents: [Int] = []
    /// `[` and `{` open, not closed yet.
    private(set) var flowLevel = 0
    private var simpleKeyAllowed = false
    private var simpleKeys: [SimpleKey] = []
    /// Whether the token at `head` is known to be the next one (no simple key may still go before it).
    private var tokenAvailable = false
    /// The first error: every later call reports it again.
    private var failure: YAMLError?

    init(bytes: [UInt8]) {
        self.bytes = bytes
        failure = YAMLInputCheck.firstProblem(in: bytes)
    }

    // MARK: The parser's side

    /// The next token, scanning as far as needed to know it.
    mutating func peek() throws(YAMLError) -> YAMLToken {
        if let failure { throw failure }
        if !tokenAvailable {
            do {
                try fetchMoreTokens()
            } catch {
                failure = error
                throw error
            }
            tokenAvailable = true
        }
        return tokens[head]
    }

    /// Consumes the token `peek` returned.
    mutating func skip() {
        tokenAvailable = false
        head += 1
        tokensParsed += 1
        if head > 256 && head * 2 > tokens.count {
            tokens.removeFirst(head)
            head = 0
        }
    }

    private mutating func fetchMoreTokens() throws(YAMLError) {
        while true {
            var needMore = head == tokens.count
            if !needMore {
                try staleSimpleKeys()
                for key in simpleKeys where key.possible && key.tokenNumber == tokensParsed {
                    needMore = true
                    break
                }
            }
            guard needMore else { return }
            try fetchNextToken()
        }
    }

    // MARK: Characters
    //
    // The helpers below only read, yet are `mutating`: in an unoptimised build (the tests') a non-mutating method
    // called from a mutating one gets a copy of the whole scanner, retaining each of its arrays, which made parsing
    // about twice as slow there. Optimised builds copy nothing either way.

    /// A set of ASCII characters as a 128-bit mask: a membership test without hashing, in the scanner's inner loops.
    private struct ASCIISet {
        private var low: UInt64 = 0
        private var high: UInt64 = 0

        init(_ characters: String) {
            for c in characters.utf8 {
                if c < 64 { low |= 1 << c } else { high |= 1 << (c - 64) }
            }
        }

        @inline(__always) func contains(_ c: UInt8) -> Bool {
            c < 64 ? low & (1 << c) != 0 : c < 128 ? high & (1 << (c - 64)) != 0 : false
        }
    }

    /// Characters that cannot start a plain scalar (but `-`, `?` and `:` before a non-space).
    private static let indicators = ASCIISet("-?:,[]{}#&*!|>'\"%@`")
    /// What may follow an anchor's or alias's name.
    private static let anchorTerminators = ASCIISet("?:,]}%@`")
    /// A tag's URI characters besides letters, digits, `_` and `-`.
    private static let uriCharacters = ASCIISet(";/?:@&=+$.%!~*'()")
    /// URI characters allowed in a `%TAG` prefix and a verbatim tag, not in a tag's suffix.
    private static let uriFlowCharacters = ASCIISet(",[]")
    /// What ends a plain scalar in the flow context.
    private static let flowIndicators = ASCIISet(",[]{}")
    /// After `:` in a plain scalar in the flow context: an error.
    private static let afterColonInFlow = ASCIISet(",?[]{}")

    private var mark: YAMLMark { mutating get { YAMLMark(line: line + 1, column: column + 1, offset: pos) } }

    /// The byte `k` bytes ahead, or 0 past the end (the reader refuses NUL, so 0 is the end).
    @inline(__always) private mutating func at(_ k: Int = 0) -> UInt8 {
        let p = pos + k
        return p < bytes.count ? bytes[p] : 0
    }

    @inline(__always) private mutating func check(_ c: Unicode.Scalar, _ k: Int = 0) -> Bool {
        at(k) == UInt8(ascii: c)
    }
    private mutating func isZ(_ k: Int = 0) -> Bool { pos + k >= bytes.count }
    private mutating func isBlank(_ k: Int = 0) -> Bool { at(k) == 0x20 || at(k) == 0x09 }
    private mutating func isBreak(_ k: Int = 0) -> Bool {
        switch at(k) {
        case 0x0A, 0x0D: true
        case 0xC2: at(k + 1) == 0x85
        case 0xE2: at(k + 1) == 0x80 && (at(k + 2) == 0xA8 || at(k + 2) == 0xA9)
        default: false
        }
    }
    private mutating func isBreakZ(_ k: Int = 0) -> Bool { isBreak(k) || isZ(k) }
    private mutating func isBlankZ(_ k: Int = 0) -> Bool { isBlank(k) || isBreakZ(k) }
    /// Letters, digits, `_` and `-`: anchor names, directive names, tag handles.
    private mutating func isAlpha(_ k: Int = 0) -> Bool {
        let c = at(k)
        return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
            || c == 0x2D
    }
    private mutating func isDigit(_ k: Int = 0) -> Bool { at(k) >= 0x30 && at(k) <= 0x39 }
    private mutating func hexValue(_ k: Int) -> UInt32? {
        let c = at(k)
        switch c {
        case 0x30...0x39: return UInt32(c - 0x30)
        case 0x41...0x46: return UInt32(c - 0x41 + 10)
        case 0x61...0x66: return UInt32(c - 0x61 + 10)
        default: return nil
        }
    }
    private mutating func isDocumentIndicator() -> Bool {
        column == 0
            && ((check("-") && check("-", 1) && check("-", 2)) || (check(".") && check(".", 1) && check(".", 2)))
            && isBlankZ(3)
    }

    private var width: Int {
        mutating get {
            let c = at()
            return c < 0x80 ? 1 : c & 0xE0 == 0xC0 ? 2 : c & 0xF0 == 0xE0 ? 3 : 4
        }
    }

    /// Steps over one character that is not a line break.
    private mutating func advance() {
        pos += width
        column += 1
        index += 1
    }

    /// Steps over a line break (CR LF is one).
    private mutating func advanceLine() {
        if check("\r") && check("\n", 1) {
            pos += 2
            index += 2
        } else if isBreak() {
            pos += width
            index += 1
        } else {
            return
        }
        column = 0
        line += 1
    }

    /// Copies one character that is not a line break to `string`.
    private mutating func read(into string: inout [UInt8]) {
        let c = at()
        if c < 0x80 {
            string.append(c)
            pos += 1
        } else {
            let end = min(pos + width, bytes.count)
            string.append(contentsOf: bytes[pos..<end])
            pos = end
        }
        column += 1
        index += 1
    }

    /// Copies a line break to `string`: CR LF, CR, LF and NEL as LF, LS and PS as they are.
    private mutating func readLine(into string: inout [UInt8]) {
        if check("\r") && check("\n", 1) {
            string.append(0x0A)
            pos += 2
            index += 2
        } else if check("\r") || check("\n") {
            string.append(0x0A)
            pos += 1
            index += 1
        } else if at() == 0xC2 && at(1) == 0x85 {
            string.append(0x0A)
            pos += 2
            index += 1
        } else if isBreak() {
            string.append(contentsOf: bytes[pos..<pos + 3])
            pos += 3
            index += 1
        } else {
            return
        }
        column = 0
        line += 1
    }

    private mutating func error(_ context: String?, _ contextMark: YAMLMark, _ problem: String) -> YAMLError {
        YAMLError(.scanner, context: context, contextMark: contextMark, problem: problem, mark: mark)
    }

    // MARK: Tokens

    private mutating func append(_ kind: YAMLToken.Kind, _ start: YAMLMark, _ end: YAMLMark) {
        tokens.append(YAMLToken(kind: kind, start: start, end: end))
    }

    private mutating func fetchNextToken() throws(YAMLError) {
        guard streamStartProduced else { return fetchStreamStart() }
        try scanToNextToken()
        try staleSimpleKeys()
        unrollIndent(column)
        if isZ() { return try fetchStreamEnd() }
        if column == 0 && check("%") { return try fetchDirective() }
        if column == 0 && check("-") && check("-", 1) && check("-", 2) && isBlankZ(3) {
            return try fetchDocumentIndicator(.documentStart)
        }
        if column == 0 && check(".") && check(".", 1) && check(".", 2) && isBlankZ(3) {
            return try fetchDocumentIndicator(.documentEnd)
        }
        let c = at()
        switch c {
        case UInt8(ascii: "["): return try fetchFlowCollectionStart(.flowSequenceStart)
        case UInt8(ascii: "{"): return try fetchFlowCollectionStart(.flowMappingStart)
        case UInt8(ascii: "]"): return try fetchFlowCollectionEnd(.flowSequenceEnd)
        case UInt8(ascii: "}"): return try fetchFlowCollectionEnd(.flowMappingEnd)
        case UInt8(ascii: ","): return try fetchFlowEntry()
        default: break
        }
        if check("-") && isBlankZ(1) { return try fetchBlockEntry() }
        if check("?") && (flowLevel > 0 || isBlankZ(1)) { return try fetchKey() }
        if check(":") && (flowLevel > 0 || isBlankZ(1)) { return try fetchValue() }
        switch c {
        case UInt8(ascii: "*"): return try fetchAnchor(alias: true)
        case UInt8(ascii: "&"): return try fetchAnchor(alias: false)
        case UInt8(ascii: "!"): return try fetchTag()
        case UInt8(ascii: "|") where flowLevel == 0: return try fetchBlockScalar(literal: true)
        case UInt8(ascii: ">") where flowLevel == 0: return try fetchBlockScalar(literal: false)
        case UInt8(ascii: "'"): return try fetchFlowScalar(single: true)
        case UInt8(ascii: "\""): return try fetchFlowScalar(single: false)
        default: break
        }
        // A plain scalar starts with any character but an indicator, or with `-`, `?` or `:` followed by a
        // character that is not a space (`?` and `:` only in the block context).
        if !(isBlankZ() || Self.indicators.contains(c)) || (check("-") && !isBlank(1))
            || (flowLevel == 0 && (check("?") || check(":")) && !isBlankZ(1))
        {
            return try fetchPlainScalar()
        }
        throw error("while scanning for the next token", mark, "found character that cannot start any token")
    }

    /// Forgets simple keys that can no longer be keys (a line break or 1024 characters since they started); a
    /// required one is an error.
    private mutating func staleSimpleKeys() throws(YAMLError) {
        for i in simpleKeys.indices where simpleKeys[i].possible {
            let key = simpleKeys[i]
            if key.mark.line < line + 1 || key.index + 1024 < index {
                if key.required { throw error("while scanning a simple key", key.mark, "could not find expected ':'") }
                simpleKeys[i].possible = false
            }
        }
    }

    /// Notes that a simple key may start at the next token.
    private mutating func saveSimpleKey() throws(YAMLError) {
        let required = flowLevel == 0 && indent == column
        guard simpleKeyAllowed else { return }
        let key = SimpleKey(
            possible: true, required: required, tokenNumber: tokensParsed + tokens.count - head, mark: mark,
            index: index)
        try removeSimpleKey()
        simpleKeys[simpleKeys.count - 1] = key
    }

    private mutating func removeSimpleKey() throws(YAMLError) {
        let key = simpleKeys[simpleKeys.count - 1]
        if key.possible && key.required {
            throw error("while scanning a simple key", key.mark, "could not find expected ':'")
        }
        simpleKeys[simpleKeys.count - 1].possible = false
    }

    private mutating func increaseFlowLevel() {
        simpleKeys.append(SimpleKey())
        flowLevel += 1
    }

    private mutating func decreaseFlowLevel() {
        if flowLevel > 0 {
            flowLevel -= 1
            simpleKeys.removeLast()
        }
    }

    /// In the block context, opens a collection at `column` when it is deeper than the current one. `number`: the
    /// token the start goes before (a simple key found later), or nil to append it.
    private mutating func rollIndent(_ column: Int, number: Int?, _ kind: YAMLToken.Kind, _ mark: YAMLMark) {
        guard flowLevel == 0, indent < column else { return }
        indents.append(indent)
        indent = column
        let token = YAMLToken(kind: kind, start: mark, end: mark)
        if let number {
            tokens.insert(token, at: head + number - tokensParsed)
        } else {
            tokens.append(token)
        }
    }

    /// In the block context, closes every collection deeper than `column`.
    private mutating func unrollIndent(_ column: Int) {
        guard flowLevel == 0 else { return }
        while indent > column {
            append(.blockEnd, mark, mark)
            indent = indents.removeLast()
        }
    }

    private mutating func fetchStreamStart() {
        indent = -1
        simpleKeys.append(SimpleKey())
        simpleKeyAllowed = true
        streamStartProduced = true
        append(.streamStart, mark, mark)
    }

    private mutating func fetchStreamEnd() throws(YAMLError) {
        // The end is at the start of a line.
        if column != 0 {
            column = 0
            line += 1
        }
        unrollIndent(-1)
        try removeSimpleKey()
        simpleKeyAllowed = false
        streamEndProduced = true
        append(.streamEnd, mark, mark)
    }

    private mutating func fetchDirective() throws(YAMLError) {
        unrollIndent(-1)
        try removeSimpleKey()
        simpleKeyAllowed = false
        try scanDirective()
    }

    private mutating func fetchDocumentIndicator(_ kind: YAMLToken.Kind) throws(YAMLError) {
        unrollIndent(-1)
        try removeSimpleKey()
        simpleKeyAllowed = false
        appendIndicator(kind, length: 3)
    }

    /// An indicator token (`---`, `[`, `,`, `-`, `?`, `:`, ...): its characters, read, become one token.
    private mutating func appendIndicator(_ kind: YAMLToken.Kind, length: Int = 1) {
        let start = mark
        for _ in 0..<length { advance() }
        append(kind, start, mark)
    }

    private mutating func fetchFlowCollectionStart(_ kind: YAMLToken.Kind) throws(YAMLError) {
        try saveSimpleKey()
        increaseFlowLevel()
        simpleKeyAllowed = true
        appendIndicator(kind)
    }

    private mutating func fetchFlowCollectionEnd(_ kind: YAMLToken.Kind) throws(YAMLError) {
        try removeSimpleKey()
        decreaseFlowLevel()
        simpleKeyAllowed = false
        appendIndicator(kind)
    }

    private mutating func fetchFlowEntry() throws(YAMLError) {
        try removeSimpleKey()
        simpleKeyAllowed = true
        appendIndicator(.flowEntry)
    }

    private mutating func fetchBlockEntry() throws(YAMLError) {
        if flowLevel == 0 {
            guard simpleKeyAllowed else {
                throw error(nil, mark, "block sequence entries are not allowed in this context")
            }
            rollIndent(column, number: nil, .blockSequenceStart, mark)
        }
        // In the flow context `-` is left to the parser, which says where it is.
        try removeSimpleKey()
        simpleKeyAllowed = true
        appendIndicator(.blockEntry)
    }

    private mutating func fetchKey() throws(YAMLError) {
        if flowLevel == 0 {
            guard simpleKeyAllowed else { throw error(nil, mark, "mapping keys are not allowed in this context") }
            rollIndent(column, number: nil, .blockMappingStart, mark)
        }
        try removeSimpleKey()
        simpleKeyAllowed = flowLevel == 0
        appendIndicator(.key)
    }

    private mutating func fetchValue() throws(YAMLError) {
        let key = simpleKeys[simpleKeys.count - 1]
        if key.possible {
            // The simple key was a key: its KEY token goes before it, and a mapping may start there.
            tokens.insert(
                YAMLToken(kind: .key, start: key.mark, end: key.mark), at: head + key.tokenNumber - tokensParsed)
            rollIndent(key.mark.column - 1, number: key.tokenNumber, .blockMappingStart, key.mark)
            simpleKeys[simpleKeys.count - 1].possible = false
            simpleKeyAllowed = false
        } else {
            if flowLevel == 0 {
                guard simpleKeyAllowed else {
                    throw error(nil, mark, "mapping values are not allowed in this context")
                }
                rollIndent(column, number: nil, .blockMappingStart, mark)
            }
            simpleKeyAllowed = flowLevel == 0
        }
        appendIndicator(.value)
    }

    private mutating func fetchAnchor(alias: Bool) throws(YAMLError) {
        try saveSimpleKey()
        simpleKeyAllowed = false
        let start = mark
        advance()
        var name: [UInt8] = []
        while isAlpha() { read(into: &name) }
        let end = mark
        guard !name.isEmpty, isBlankZ() || Self.anchorTerminators.contains(at()) else {
            throw error(
                alias ? "while scanning an alias" : "while scanning an anchor", start,
                "did not find expected alphabetic or numeric character")
        }
        append(alias ? .alias(name) : .anchor(name), start, end)
    }

    private mutating func fetchTag() throws(YAMLError) {
        try saveSimpleKey()
        simpleKeyAllowed = false
        try scanTag()
    }

    private mutating func fetchBlockScalar(literal: Bool) throws(YAMLError) {
        try removeSimpleKey()
        simpleKeyAllowed = true
        try scanBlockScalar(literal: literal)
    }

    private mutating func fetchFlowScalar(single: Bool) throws(YAMLError) {
        try saveSimpleKey()
        simpleKeyAllowed = false
        try scanFlowScalar(single: single)
    }

    private mutating func fetchPlainScalar() throws(YAMLError) {
        try saveSimpleKey()
        simpleKeyAllowed = false
        try scanPlainScalar()
    }

    /// Skips spaces, comments and line breaks (tabs too where they cannot be indentation) and a byte-order mark at
    /// the start of a line. A line break in the block context allows a simple key.
    private mutating func scanToNextToken() throws(YAMLError) {
        while true {
            if column == 0 && at() == 0xEF && at(1) == 0xBB && at(2) == 0xBF { advance() }
            while check(" ") || ((flowLevel > 0 || !simpleKeyAllowed) && check("\t")) { advance() }
            if check("#") {
                while !isBreakZ() { advance() }
            }
            guard isBreak() else { return }
            advanceLine()
            if flowLevel == 0 { simpleKeyAllowed = true }
        }
    }

    // MARK: Directives

    private mutating func scanDirective() throws(YAMLError) {
        let start = mark
        advance()
        var name: [UInt8] = []
        while isAlpha() { read(into: &name) }
        guard !name.isEmpty else {
            throw error("while scanning a directive", start, "could not find expected directive name")
        }
        guard isBlankZ() else {
            throw error("while scanning a directive", start, "found unexpected non-alphabetical character")
        }
        if name == Array("YAML".utf8) {
            while isBlank() { advance() }
            let major = try scanVersionNumber(start)
            guard check(".") else {
                throw error("while scanning a %YAML directive", start, "did not find expected digit or '.' character")
            }
            advance()
            let minor = try scanVersionNumber(start)
            append(.versionDirective(major: major, minor: minor), start, mark)
        } else if name == Array("TAG".utf8) {
            while isBlank() { advance() }
            let handle = try scanTagHandle(directive: true, start)
            guard isBlank() else {
                throw error("while scanning a %TAG directive", start, "did not find expected whitespace")
            }
            while isBlank() { advance() }
            let prefix = try scanTagURI(uriCharacters: true, directive: true, head: [], start)
            guard isBlankZ() else {
                throw error(
                    "while scanning a %TAG directive", start, "did not find expected whitespace or line break")
            }
            append(.tagDirective(handle: handle, prefix: prefix), start, mark)
        } else {
            throw error("while scanning a directive", start, "found unknown directive name")
        }
        try finishLine("while scanning a directive", start)
    }

    /// The end of a directive's or a block scalar header's line: blanks, a comment, then the line break.
    private mutating func finishLine(_ context: String, _ start: YAMLMark) throws(YAMLError) {
        while isBlank() { advance() }
        if check("#") {
            while !isBreakZ() { advance() }
        }
        guard isBreakZ() else { throw error(context, start, "did not find expected comment or line break") }
        advanceLine()
    }

    private mutating func scanVersionNumber(_ start: YAMLMark) throws(YAMLError) -> Int {
        var value = 0
        var length = 0
        while isDigit() {
            length += 1
            guard length <= 9 else {
                throw error("while scanning a %YAML directive", start, "found extremely long version number")
            }
            value = value * 10 + Int(at() - 0x30)
            advance()
        }
        guard length > 0 else {
            throw error("while scanning a %YAML directive", start, "did not find expected version number")
        }
        return value
    }

    // MARK: Tags

    private mutating func scanTag() throws(YAMLError) {
        let start = mark
        var handle: [UInt8]
        var suffix: [UInt8]
        if check("<", 1) {
            // Verbatim: !<uri>
            handle = []
            advance()
            advance()
            suffix = try scanTagURI(uriCharacters: true, directive: false, head: [], start)
            guard check(">") else { throw error("while scanning a tag", start, "did not find the expected '>'") }
            advance()
        } else {
            handle = try scanTagHandle(directive: false, start)
            if handle.count > 1 && handle.first == UInt8(ascii: "!") && handle.last == UInt8(ascii: "!") {
                // !handle!suffix
                suffix = try scanTagURI(uriCharacters: false, directive: false, head: [], start)
            } else {
                // !suffix: what looked like a handle is the suffix's start.
                suffix = try scanTagURI(uriCharacters: false, directive: false, head: handle, start)
                handle = [UInt8(ascii: "!")]
                // `!` alone is the non-specific tag.
                if suffix.isEmpty { swap(&handle, &suffix) }
            }
        }
        guard isBlankZ() || (flowLevel > 0 && check(",")) else {
            throw error("while scanning a tag", start, "did not find expected whitespace or line break")
        }
        append(.tag(handle: handle, suffix: suffix), start, mark)
    }

    /// `!`, `!!` or `!name!` (in a tag, `!name` too: the caller takes it as the start of a suffix).
    private mutating func scanTagHandle(directive: Bool, _ start: YAMLMark) throws(YAMLError) -> [UInt8] {
        guard check("!") else {
            throw error(
                directive ? "while scanning a tag directive" : "while scanning a tag", start,
                "did not find expected '!'")
        }
        var handle: [UInt8] = []
        read(into: &handle)
        while isAlpha() { read(into: &handle) }
        if check("!") {
            read(into: &handle)
        } else if directive && handle != [UInt8(ascii: "!")] {
            throw error("while parsing a tag directive", start, "did not find expected '!'")
        }
        return handle
    }

    /// A tag's URI characters, with `%xx` escapes decoded. `head`: a handle taken for the suffix's start, whose
    /// `!` is dropped. `uriCharacters`: `,`, `[` and `]` are allowed (in a `%TAG` prefix and a verbatim tag).
    private mutating func scanTagURI(
        uriCharacters: Bool, directive: Bool, head: [UInt8], _ start: YAMLMark
    ) throws(YAMLError) -> [UInt8] {
        var uri: [UInt8] = head.count > 1 ? Array(head.dropFirst()) : []
        var length = head.count
        while isAlpha() || Self.uriCharacters.contains(at()) || (uriCharacters && Self.uriFlowCharacters.contains(at()))
        {
            if check("%") {
                try scanURIEscapes(directive: directive, start, into: &uri)
            } else {
                read(into: &uri)
            }
            length += 1
        }
        guard length > 0 else {
            throw error(
                directive ? "while parsing a %TAG directive" : "while parsing a tag", start,
                "did not find expected tag URI")
        }
        return uri
    }

    /// One UTF-8 character written as `%xx` escapes.
    private mutating func scanURIEscapes(directive: Bool, _ start: YAMLMark, into uri: inout [UInt8]) throws(YAMLError)
    {
        let context = directive ? "while parsing a %TAG directive" : "while parsing a tag"
        var remaining = 0
        repeat {
            guard check("%"), let high = hexValue(1), let low = hexValue(2) else {
                throw error(context, start, "did not find URI escaped octet")
            }
            let octet = UInt8(high << 4 | low)
            if remaining == 0 {
                remaining =
                    octet & 0x80 == 0
                    ? 1 : octet & 0xE0 == 0xC0 ? 2 : octet & 0xF0 == 0xE0 ? 3 : octet & 0xF8 == 0xF0 ? 4 : 0
                guard remaining > 0 else { throw error(context, start, "found an incorrect leading UTF-8 octet") }
            } else {
                guard octet & 0xC0 == 0x80 else {
                    throw error(context, start, "found an incorrect trailing UTF-8 octet")
                }
            }
            uri.append(octet)
            advance()
            advance()
            advance()
            remaining -= 1
        } while remaining > 0
    }

    // MARK: Scalars

    private mutating func scanBlockScalar(literal: Bool) throws(YAMLError) {
        let start = mark
        advance()
        var chomping = 0
        var increment = 0
        // The header: chomping (+ or -) and indentation indicator (1-9), in either order.
        if check("+") || check("-") {
            chomping = check("+") ? 1 : -1
            advance()
            if isDigit() {
                guard !check("0") else {
                    throw error("while scanning a block scalar", start, "found an indentation indicator equal to 0")
                }
                increment = Int(at() - 0x30)
                advance()
            }
        } else if isDigit() {
            guard !check("0") else {
                throw error("while scanning a block scalar", start, "found an indentation indicator equal to 0")
            }
            increment = Int(at() - 0x30)
            advance()
            if check("+") || check("-") {
                chomping = check("+") ? 1 : -1
                advance()
            }
        }
        try finishLine("while scanning a block scalar", start)
        let end = mark
        var blockIndent = 0
        if increment > 0 { blockIndent = indent >= 0 ? indent + increment : increment }
        var string: [UInt8] = []
        var leadingBreak: [UInt8] = []
        var trailingBreaks: [UInt8] = []
        try scanBlockScalarBreaks(&blockIndent, &trailingBreaks, start)
        var leadingBlank = false
        while column == blockIndent && !isZ() {
            let trailingBlank = isBlank()
            // Folding: a single line break between two lines that do not start with a blank is a space.
            if !literal && leadingBreak.first == 0x0A && !leadingBlank && !trailingBlank {
                if trailingBreaks.isEmpty { string.append(0x20) }
                leadingBreak.removeAll(keepingCapacity: true)
            } else {
                string += leadingBreak
                leadingBreak.removeAll(keepingCapacity: true)
            }
            string += trailingBreaks
            trailingBreaks.removeAll(keepingCapacity: true)
            leadingBlank = isBlank()
            while !isBreakZ() { read(into: &string) }
            readLine(into: &leadingBreak)
            try scanBlockScalarBreaks(&blockIndent, &trailingBreaks, start)
        }
        if chomping != -1 { string += leadingBreak }
        if chomping == 1 { string += trailingBreaks }
        append(.scalar(string, literal ? .literal : .folded), start, end)
    }

    /// The indentation and empty lines before a block scalar's next line; the indentation is found from the first
    /// non-empty line when the header does not give it.
    private mutating func scanBlockScalarBreaks(
        _ blockIndent: inout Int, _ breaks: inout [UInt8], _ start: YAMLMark
    ) throws(YAMLError) {
        var maxIndent = 0
        while true {
            while (blockIndent == 0 || column < blockIndent) && check(" ") { advance() }
            maxIndent = max(maxIndent, column)
            if (blockIndent == 0 || column < blockIndent) && check("\t") {
                throw error(
                    "while scanning a block scalar", start,
                    "found a tab character where an indentation space is expected")
            }
            guard isBreak() else { break }
            readLine(into: &breaks)
        }
        if blockIndent == 0 { blockIndent = max(maxIndent, indent + 1, 1) }
    }

    private mutating func scanFlowScalar(single: Bool) throws(YAMLError) {
        let start = mark
        advance()
        var string: [UInt8] = []
        var leadingBreak: [UInt8] = []
        var trailingBreaks: [UInt8] = []
        var whitespaces: [UInt8] = []
        let quote = UInt8(ascii: single ? "'" : "\"")
        while true {
            if isDocumentIndicator() {
                throw error("while scanning a quoted scalar", start, "found unexpected document indicator")
            }
            if isZ() { throw error("while scanning a quoted scalar", start, "found unexpected end of stream") }
            var leadingBlanks = false
            while !isBlankZ() {
                if single && check("'") && check("'", 1) {
                    string.append(quote)
                    advance()
                    advance()
                } else if at() == quote {
                    break
                } else if !single && check("\\") && isBreak(1) {
                    // An escaped line break: the line goes on without a space.
                    advance()
                    advanceLine()
                    leadingBlanks = true
                    break
                } else if !single && check("\\") {
                    try scanEscape(start, into: &string)
                } else {
                    read(into: &string)
                }
            }
            if at() == quote { break }
            while isBlank() || isBreak() {
                if isBlank() {
                    if leadingBlanks { advance() } else { read(into: &whitespaces) }
                } else if !leadingBlanks {
                    whitespaces.removeAll(keepingCapacity: true)
                    readLine(into: &leadingBreak)
                    leadingBlanks = true
                } else {
                    readLine(into: &trailingBreaks)
                }
            }
            if leadingBlanks {
                join(&string, &leadingBreak, &trailingBreaks)
            } else {
                string += whitespaces
                whitespaces.removeAll(keepingCapacity: true)
            }
        }
        advance()
        append(.scalar(string, single ? .singleQuoted : .doubleQuoted), start, mark)
    }

    /// Line folding: a line break followed by more lines is a space when no empty line follows it, else the empty
    /// lines' breaks; LS and PS are kept.
    private mutating func join(_ string: inout [UInt8], _ leadingBreak: inout [UInt8], _ trailingBreaks: inout [UInt8])
    {
        if leadingBreak.first == 0x0A {
            if trailingBreaks.isEmpty {
                string.append(0x20)
            } else {
                string += trailingBreaks
                trailingBreaks.removeAll(keepingCapacity: true)
            }
            leadingBreak.removeAll(keepingCapacity: true)
        } else {
            string += leadingBreak
            string += trailingBreaks
            leadingBreak.removeAll(keepingCapacity: true)
            trailingBreaks.removeAll(keepingCapacity: true)
        }
    }

    /// A double-quoted scalar's escape sequence (`\n`, `\x41`, `\u00e9`, `\U0001F600`...).
    private mutating func scanEscape(_ start: YAMLMark, into string: inout [UInt8]) throws(YAMLError) {
        var codeLength = 0
        switch at(1) {
        case UInt8(ascii: "0"): string.append(0)
        case UInt8(ascii: "a"): string.append(0x07)
        case UInt8(ascii: "b"): string.append(0x08)
        case UInt8(ascii: "t"), 0x09: string.append(0x09)
        case UInt8(ascii: "n"): string.append(0x0A)
        case UInt8(ascii: "v"): string.append(0x0B)
        case UInt8(ascii: "f"): string.append(0x0C)
        case UInt8(ascii: "r"): string.append(0x0D)
        case UInt8(ascii: "e"): string.append(0x1B)
        case UInt8(ascii: " "): string.append(0x20)
        case UInt8(ascii: "\""): string.append(0x22)
        case UInt8(ascii: "/"): string.append(0x2F)
        case UInt8(ascii: "\\"): string.append(0x5C)
        case UInt8(ascii: "N"): string += [0xC2, 0x85]
        case UInt8(ascii: "_"): string += [0xC2, 0xA0]
        case UInt8(ascii: "L"): string += [0xE2, 0x80, 0xA8]
        case UInt8(ascii: "P"): string += [0xE2, 0x80, 0xA9]
        case UInt8(ascii: "x"): codeLength = 2
        case UInt8(ascii: "u"): codeLength = 4
        case UInt8(ascii: "U"): codeLength = 8
        default: throw error("while parsing a quoted scalar", start, "found unknown escape character")
        }
        advance()
        advance()
        guard codeLength > 0 else { return }
        var value: UInt32 = 0
        for k in 0..<codeLength {
            guard let digit = hexValue(k) else {
                throw error("while parsing a quoted scalar", start, "did not find expected hexdecimal number")
            }
            value = value << 4 | digit
        }
        guard !(0xD800...0xDFFF).contains(value), value <= 0x10FFFF, let scalar = Unicode.Scalar(value) else {
            throw error("while parsing a quoted scalar", start, "found invalid Unicode character escape code")
        }
        string += Array(String(Character(scalar)).utf8)
        for _ in 0..<codeLength { advance() }
    }

    private mutating func scanPlainScalar() throws(YAMLError) {
        let start = mark
        var end = mark
        var string: [UInt8] = []
        var leadingBreak: [UInt8] = []
        var trailingBreaks: [UInt8] = []
        var whitespaces: [UInt8] = []
        var leadingBlanks = false
        let scalarIndent = indent + 1
        while true {
            if isDocumentIndicator() || check("#") { break }
            while !isBlankZ() {
                if flowLevel > 0 && check(":") && Self.afterColonInFlow.contains(at(1)) {
                    throw error("while scanning a plain scalar", start, "found unexpected ':'")
                }
                if (check(":") && isBlankZ(1)) || (flowLevel > 0 && Self.flowIndicators.contains(at())) { break }
                if leadingBlanks || !whitespaces.isEmpty {
                    if leadingBlanks {
                        join(&string, &leadingBreak, &trailingBreaks)
                        leadingBlanks = false
                    } else {
                        string += whitespaces
                        whitespaces.removeAll(keepingCapacity: true)
                    }
                }
                read(into: &string)
                end = mark
            }
            guard isBlank() || isBreak() else { break }
            while isBlank() || isBreak() {
                if isBlank() {
                    if leadingBlanks && column < scalarIndent && check("\t") {
                        throw error(
                            "while scanning a plain scalar", start, "found a tab character that violates indentation")
                    }
                    if leadingBlanks { advance() } else { read(into: &whitespaces) }
                } else if !leadingBlanks {
                    whitespaces.removeAll(keepingCapacity: true)
                    readLine(into: &leadingBreak)
                    leadingBlanks = true
                } else {
                    readLine(into: &trailingBreaks)
                }
            }
            if flowLevel == 0 && column < scalarIndent { break }
        }
        append(.scalar(string, .plain), start, end)
        if leadingBlanks { simpleKeyAllowed = true }
    }
}
