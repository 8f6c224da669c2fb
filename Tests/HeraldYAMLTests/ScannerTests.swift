import Testing

@testable import HeraldYAML

struct ScannerTests {
    @Test func placeholder() throws {
        #expect(try YAMLParser.events(of: Array("a: b".utf8)).count == 8)
    }
}
