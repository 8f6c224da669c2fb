import Testing

@testable import HeraldYAML

/// What the parser refuses, with libyaml's words and places.
struct ErrorTests {
    @Test func scannerErrors() {
        #expect(EventNotation.error("a: b: c") == "1:5: mapping values are not allowed in this context")
        #expect(
            EventNotation.error("a: @b")
                == "1:4: while scanning for the next token: found character that cannot start any token")
        #expect(EventNotation.error("'a") == "1:3: while scanning a quoted scalar: found unexpected end of stream")
        #expect(EventNotation.error("\"\\q\"") == "1:2: while parsing a quoted scalar: found unknown escape character")
        #expect(
            EventNotation.error("\"\\ud800\"")
                == "1:4: while parsing a quoted scalar: found invalid Unicode character escape code")
        #expect(
            EventNotation.error("a: &\n")
                == "1:5: while scanning an anchor: did not find expected alphabetic or numeric character")
        #expect(
            EventNotation.error("|0\n a")
                == "1:2: while scanning a block scalar: found an indentation indicator equal to 0")
        #expect(EventNotation.error("[a:]") == "1:3: while scanning a plain scalar: found unexpected ':'")
        #expect(EventNotation.error("%FOO\n--- a") == "1:5: while scanning a directive: found unknown directive name")
        #expect(EventNotation.error("- a\n b: c") == "2:3: mapping values are not allowed in this context")
    }

    @Test func simpleKeysAreOnOneLineAndShort() {
        #expect(
            EventNotation.error("a: b\nc\nd: e")
                == "3:1: while scanning a simple key: could not find expected ':'")
        let long = String(repeating: "x", count: 1030) + ": v"
        #expect(EventNotation.error(long) == "1:1031: mapping values are not allowed in this context")
        #expect(throws: Never.self) {
            try YAMLParser.events(of: Array((String(repeating: "x", count: 1000) + ": v").utf8))
        }
    }

    @Test func parserErrors() {
        #expect(
            EventNotation.error("a:\n  - b\n  c: d")
                == "3:3: while parsing a block collection: did not find expected '-' indicator")
        #expect(EventNotation.error("[a, b") == "2:1: while parsing a flow sequence: did not find expected ',' or ']'")
        #expect(EventNotation.error("{a: b") == "2:1: while parsing a flow mapping: did not find expected ',' or '}'")
        #expect(EventNotation.error("- !e!x a") == "1:3: while parsing a node: found undefined tag handle")
        #expect(EventNotation.error("%YAML 2.0\n--- a") == "1:1: found incompatible YAML document")
        #expect(EventNotation.error("a\n...\nb") == "3:1: did not find expected <document start>")
        #expect(EventNotation.error("[- a]") == "1:2: while parsing a flow node: did not find expected node content")
    }

    @Test func tabsWhereYAMLDoesNotAllowThem() {
        #expect(
            EventNotation.error("a:\n\tb: c")
                == "2:1: while scanning for the next token: found character that cannot start any token")
        #expect(
            EventNotation.error("|\n\ta")
                == "2:1: while scanning a block scalar: found a tab character where an indentation space is expected")
    }

    @Test func readerErrors() throws {
        func reader(_ bytes: [UInt8]) -> YAMLError? {
            do {
                _ = try YAMLParser.events(of: bytes)
                return nil
            } catch {
                return error
            }
        }
        let nul = try #require(reader(Array("a: b\nc: d\u{0}".utf8)))
        #expect(nul.stage == .reader && nul.problem == "control characters are not allowed")
        #expect(nul.value == 0 && nul.mark == YAMLMark(line: 2, column: 5, offset: 9))
        let latin = try #require(reader(Array("caf".utf8) + [0xE9, 0x41, 0x41, 0x0A]))
        #expect(latin.problem == "invalid trailing UTF-8 octet" && latin.value == 0x41 && latin.mark.offset == 4)
        let lead = try #require(reader([0x61, 0xFF]))
        #expect(lead.problem == "invalid leading UTF-8 octet" && lead.value == 0xFF && lead.mark.offset == 1)
        let short = try #require(reader([0x61, 0xE2, 0x80]))
        #expect(short.problem == "incomplete UTF-8 octet sequence" && short.value == nil)
        let overlong = try #require(reader([0xC0, 0x80]))
        #expect(overlong.problem == "invalid length of a UTF-8 sequence")
        let surrogate = try #require(reader([0xED, 0xA0, 0x80]))
        #expect(surrogate.problem == "invalid Unicode character" && surrogate.value == 0xD800)
        let control = try #require(reader(Array("a\u{7F}".utf8)))
        #expect(control.problem == "control characters are not allowed" && control.value == 0x7F)
        #expect(reader(Array("\u{FFFE}".utf8))?.value == 0xFFFE)
    }

    @Test func nestingIsBoundedWithoutRecursion() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(EventNotation.error(deep)?.contains("Maximum nesting level reached") == true)
        let block = (0..<1_200).map { String(repeating: " ", count: $0) + "a:" }.joined(separator: "\n")
        #expect(EventNotation.error(block)?.contains("Maximum nesting level reached") == true)
        #expect(throws: Never.self) {
            try YAMLParser.events(
                of: Array((String(repeating: "[", count: 999) + String(repeating: "]", count: 999)).utf8))
        }
    }

    @Test func anErrorIsReportedAgain() throws {
        var parser = YAMLParser(bytes: Array("a: b: c".utf8))
        var first: YAMLError?
        do {
            while try parser.next() != nil {}
        } catch {
            first = error
        }
        #expect(first != nil)
        #expect(throws: YAMLError.self) { try parser.next() }
    }
}
