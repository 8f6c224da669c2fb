import Testing

@testable import HeraldYAML

/// Where events start: 1-based lines and columns in characters, byte offsets.
struct MarkTests {
    private func marks(_ text: String) throws -> [String] {
        try YAMLParser.events(of: Array(text.utf8)).map { "\($0.start.line):\($0.start.column)@\($0.start.offset)" }
    }

    @Test func nodesStartAtTheirPropertiesOrContent() throws {
        // +STR +DOC +MAP a b c +SEQ d -SEQ -MAP -DOC -STR
        #expect(
            try marks("a: b\nc: &x [d]\n") == [
                "1:1@0", "1:1@0", "1:1@0", "1:1@0", "1:4@3", "2:1@5", "2:4@8", "2:8@12", "2:9@13", "3:1@15", "3:1@15",
                "3:1@15",
            ])
    }

    @Test func columnsCountCharactersAndOffsetsCountBytes() throws {
        let events = try YAMLParser.events(of: Array("é: ça\n".utf8))
        let value = events[4]
        #expect(value.start == YAMLMark(line: 1, column: 4, offset: 4))
    }

    @Test func theStreamEndsAtTheStartOfALine() throws {
        let events = try YAMLParser.events(of: Array("a".utf8))
        #expect(events.last?.start.line == 2 && events.last?.start.column == 1)
    }
}
