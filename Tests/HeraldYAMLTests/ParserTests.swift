import Testing

@testable import HeraldYAML

/// Each construct of YAML 1.1 the parser reads, as events.
struct ParserTests {
    private func events(_ text: String) throws -> [String] {
        let all = try EventNotation.of(text)
        // The stream and the single document around the node.
        return Array(all.dropFirst(2).dropLast(2))
    }

    @Test func blockCollections() throws {
        #expect(
            try events("a: b\nc:\n  - d\n  - e: f\n    g: h\n")
                == [
                    "+MAP", "=VAL :a", "=VAL :b", "=VAL :c", "+SEQ", "=VAL :d", "+MAP", "=VAL :e", "=VAL :f", "=VAL :g",
                    "=VAL :h", "-MAP", "-SEQ", "-MAP",
                ])
        // A sequence at the indentation of its key (indentless), and entries holding sequences.
        #expect(
            try events("a:\n- b\n- - c\n  - d\n") == [
                "+MAP", "=VAL :a", "+SEQ", "=VAL :b", "+SEQ", "=VAL :c", "=VAL :d", "-SEQ", "-SEQ", "-MAP",
            ])
    }

    @Test func explicitKeysAndEmptyNodes() throws {
        #expect(
            try events("? a\n: b\n? - c\n:\nd:\n") == [
                "+MAP", "=VAL :a", "=VAL :b", "+SEQ", "=VAL :c", "-SEQ", "=VAL :", "=VAL :d", "=VAL :", "-MAP",
            ])
        #expect(try events("- \n-\n") == ["+SEQ", "=VAL :", "=VAL :", "-SEQ"])
    }

    @Test func flowCollections() throws {
        #expect(
            try events("{a: [b, {c: d}], e, ? f}") == [
                "+MAP {}", "=VAL :a", "+SEQ []", "=VAL :b", "+MAP {}", "=VAL :c", "=VAL :d", "-MAP", "-SEQ",
                "=VAL :e", "=VAL :", "=VAL :f", "=VAL :", "-MAP",
            ])
        // A key must come before `:` in a flow mapping.
        #expect(
            EventNotation.error("{a, : g}") == "1:5: while parsing a flow node: did not find expected node content")
        // A pair in a flow sequence is a mapping of one pair.
        #expect(
            try events("[a: b, ? c, d]") == [
                "+SEQ []", "+MAP {}", "=VAL :a", "=VAL :b", "-MAP", "+MAP {}", "=VAL :c", "=VAL :", "-MAP", "=VAL :d",
                "-SEQ",
            ])
        #expect(try events("[a,\n  b,\n]") == ["+SEQ []", "=VAL :a", "=VAL :b", "-SEQ"])
    }

    @Test func plainScalars() throws {
        #expect(try events("a b\n  c\n\n  d  \n") == ["=VAL :a b c\\nd"])
        #expect(
            try events("- a:b\n- a#b\n- -x\n- :x\n- ?x\n") == [
                "+SEQ", "=VAL :a:b", "=VAL :a#b", "=VAL :-x", "=VAL ::x", "=VAL :?x", "-SEQ",
            ])
        #expect(try events("a # comment\n") == ["=VAL :a"])
    }

    @Test func quotedScalars() throws {
        #expect(try events("'it''s\n  folded\n\n  here'") == ["=VAL 'it's folded\\nhere"])
        #expect(
            try events(#""\x41\u00e9\U0001F600\t\n\\\"\/\ \0""#) == ["=VAL \"Aé😀\\t\\n\\\\\"/ \u{0}"])
        #expect(try events("\"a\\\n   b  \n  c\"") == ["=VAL \"ab c"])
        #expect(try events(#""\N\_\L\P""#) == ["=VAL \"\u{85}\u{A0}\u{2028}\u{2029}"])
    }

    @Test func blockScalars() throws {
        #expect(try events("|\n  a\n   b\n\n") == ["=VAL |a\\n b\\n"])
        #expect(try events("|-\n  a\n\n") == ["=VAL |a"])
        #expect(try events("|+\n  a\n\n") == ["=VAL |a\\n\\n"])
        #expect(try events(">\n  a\n  b\n\n  c\n   d\n  e\n") == ["=VAL >a b\\nc\\n d\\ne\\n"])
        // Leading empty lines, and the indentation given by the header.
        #expect(try events(">\n\n\n  a\n") == ["=VAL >\\n\\na\\n"])
        #expect(try events("|2\n   a\n  b\n") == ["=VAL | a\\nb\\n"])
        #expect(try events("- |1-\n  a\n") == ["+SEQ", "=VAL | a", "-SEQ"])
    }

    @Test func anchorsAliasesAndTags() throws {
        #expect(
            try events("a: &x !!str v\nb: *x\nc: !local &y [1]\nd: !<tag:e.com,2000:t> w\ne: ! f\n") == [
                "+MAP", "=VAL :a", "=VAL &x <tag:yaml.org,2002:str> :v", "=VAL :b", "=ALI *x", "=VAL :c",
                "+SEQ [] &y <!local>", "=VAL :1", "-SEQ", "=VAL :d", "=VAL <tag:e.com,2000:t> :w", "=VAL :e",
                "=VAL <!> :f", "-MAP",
            ])
        // Properties without content: an empty scalar.
        #expect(try events("- &a\n- !x\n") == ["+SEQ", "=VAL &a :", "=VAL <!x> :", "-SEQ"])
        // %TAG handles are replaced by their prefix; the default `!!` may be redefined.
        let text = "%TAG !e! tag:e.com,2000:app/\n%TAG !! tag:x/\n--- [!e!a b, !!c d, !%21e f]\n"
        #expect(
            try EventNotation.of(text) == [
                "+STR", "+DOC ---", "+SEQ []", "=VAL <tag:e.com,2000:app/a> :b", "=VAL <tag:x/c> :d", "=VAL <!!e> :f",
                "-SEQ", "-DOC", "-STR",
            ])
    }

    @Test func documents() throws {
        #expect(try EventNotation.of("") == ["+STR", "-STR"])
        #expect(try EventNotation.of("# c\n") == ["+STR", "-STR"])
        #expect(
            try EventNotation.of("a\n---\nb\n...\n--- c\n...\n...\n") == [
                "+STR", "+DOC", "=VAL :a", "-DOC", "+DOC ---", "=VAL :b", "-DOC ...", "+DOC ---", "=VAL :c",
                "-DOC ...", "-STR",
            ])
        #expect(try EventNotation.of("---\n") == ["+STR", "+DOC ---", "=VAL :", "-DOC", "-STR"])
        let events = try YAMLParser.events(of: Array("%YAML 1.1\n%TAG !e! x:\n--- a".utf8))
        #expect(
            events[1].kind
                == .documentStart(
                    implicit: false, version: YAMLVersion(major: 1, minor: 1),
                    tags: [YAMLTagDirective(handle: "!e!", prefix: "x:")]))
    }

    @Test func lineBreaksAndByteOrderMarks() throws {
        #expect(
            try events("a: b\r\nc: |\r\n  d\r\n") == ["+MAP", "=VAL :a", "=VAL :b", "=VAL :c", "=VAL |d\\n", "-MAP"])
        #expect(try events("\u{FEFF}a: b") == ["+MAP", "=VAL :a", "=VAL :b", "-MAP"])
        #expect(try events("'a\u{85}b'") == ["=VAL 'a b"])
    }

    @Test func tabsWhereYAMLAllowsThem() throws {
        #expect(try events("a:\tb\t# c\n") == ["+MAP", "=VAL :a", "=VAL :b", "-MAP"])
        #expect(try events("[a,\tb]") == ["+SEQ []", "=VAL :a", "=VAL :b", "-SEQ"])
        #expect(try events("\"a\tb\"") == ["=VAL \"a\\tb"])
    }
}
