import Foundation
import HeraldTestSupport
import HeraldYAML
import Testing

/// HeraldYAML against libyaml, event by event: every YAML file of the repository, the YAML the other tests write,
/// hand-written tricky documents, seeded random documents, and seeded byte mutations of all of them. What must never
/// happen: libyaml accepts and HeraldYAML refuses, or the two give different events (type, anchor, tag, value,
/// style, implicit flags, start line and column). When libyaml refuses, HeraldYAML must refuse too; where and why
/// may differ, and the agreement is counted.
struct DifferentialTests {
    /// What the comparisons found.
    struct Tally: CustomStringConvertible {
        var documents = 0
        var accepted = 0
        var events = 0
        var rejected = 0
        var sameErrorMark = 0
        var sameErrorProblem = 0
        var failures: [String] = []
        /// The first refusals whose places differ: ours, libyaml's.
        var markDisagreements: [String] = []
        /// Refusals for a byte that is not text where libyaml, which decodes as it goes, finds a syntax error first.
        var readerErrorFirst = 0

        var description: String {
            "\(documents) inputs (\(accepted) accepted by both, \(rejected) refused by both), \(events) events "
                + "compared; of the refusals, \(sameErrorMark) at the same line and column, \(sameErrorProblem) "
                + "with the same problem, \(readerErrorFirst) for bytes that are not text where libyaml finds a "
                + "syntax error first"
                + (markDisagreements.isEmpty
                    ? "" : "; places that differ: " + markDisagreements.joined(separator: "; "))
        }

        /// Compares the two parsers on `bytes`; `name` says where the input comes from.
        mutating func compare(_ bytes: [UInt8], _ name: String) {
            documents += 1
            let theirs = LibYAML.parse(bytes)
            var ours: [YAMLEvent] = []
            var ourError: YAMLError?
            var parser = YAMLParser(bytes: bytes)
            do {
                while let event = try parser.next() { ours.append(event) }
            } catch {
                ourError = error
            }
            let normalized = ours.map {
                YAMLEvent($0.kind, at: YAMLMark(line: $0.start.line, column: $0.start.column, offset: -1))
            }
            switch (theirs.error, ourError) {
            case (nil, nil):
                accepted += 1
                events += normalized.count
                if normalized != theirs.events {
                    let common = min(normalized.count, theirs.events.count)
                    let index = (0..<common).first { normalized[$0] != theirs.events[$0] } ?? common
                    fail(
                        "\(name): events differ at #\(index): ours \(index < normalized.count ? "\(normalized[index])" : "none"), "
                            + "libyaml's \(index < theirs.events.count ? "\(theirs.events[index])" : "none")", bytes)
                }
            case (nil, let ourError?):
                fail("\(name): libyaml accepts, HeraldYAML refuses: \(ourError)", bytes)
            case (let theirError?, nil):
                fail("\(name): libyaml refuses (\(theirError)), HeraldYAML accepts", bytes)
            case (let theirError?, let ourError?):
                rejected += 1
                let same =
                    theirError.stage == .reader && ourError.stage == .reader
                    ? theirError.mark.offset == ourError.mark.offset
                    : theirError.mark.line == ourError.mark.line && theirError.mark.column == ourError.mark.column
                if same {
                    sameErrorMark += 1
                } else if ourError.stage == .reader && theirError.stage != .reader {
                    // HeraldYAML checks every byte first; libyaml decodes as it goes, and may find a syntax error
                    // before a byte that is not text.
                    readerErrorFirst += 1
                } else if markDisagreements.count < 5 {
                    markDisagreements.append(
                        "\(name): ours \(ourError) (\(ourError.stage)), libyaml's \(theirError) (\(theirError.stage))")
                }
                if theirError.problem == ourError.problem && theirError.context == ourError.context {
                    sameErrorProblem += 1
                }
            }
        }

        private mutating func fail(_ message: String, _ bytes: [UInt8]) {
            guard failures.count < 20 else { return }
            let shown = String(decoding: bytes.prefix(400), as: UTF8.self)
            failures.append("\(message)\n--- input (\(bytes.count) bytes) ---\n\(shown)\n---")
        }
    }

    static let root = TestSupport.packageRoot

    /// More random documents and mutations (HERALD_YAML_DIFFERENTIAL_SCALE=20: twenty times as many, other seeds).
    static let scale = max(1, Int(ProcessInfo.processInfo.environment["HERALD_YAML_DIFFERENTIAL_SCALE"] ?? "") ?? 1)

    /// Every *.yaml and *.yml file git knows in the repository.
    static func repositoryFiles() throws -> [(String, [UInt8])] {
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", root.path, "ls-files", "*.yaml", "*.yml"]
        let pipe = Pipe()
        git.standardOutput = pipe
        try git.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        git.waitUntilExit()
        let names = String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
        return try names.map { ($0, [UInt8](try Data(contentsOf: root.appendingPathComponent($0)))) }
    }

    /// The multi-line string literals of the test sources (most are YAML documents), without their indentation.
    static func testStrings() throws -> [(String, [UInt8])] {
        var found: [(String, [UInt8])] = []
        let tests = root.appendingPathComponent("Tests")
        guard let walker = FileManager.default.enumerator(atPath: tests.path) else { return [] }
        for case let path as String in walker where path.hasSuffix(".swift") {
            let text = try String(contentsOf: tests.appendingPathComponent(path), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            var start: Int?
            for (number, line) in lines.enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if start == nil, line.hasSuffix("\"\"\"") && !trimmed.hasPrefix("\"\"\"") {
                    start = number + 1
                } else if let first = start, trimmed.hasPrefix("\"\"\"") {
                    let indent = line.prefix { $0 == " " }.count
                    let body = lines[first..<number].map { $0.count >= indent ? String($0.dropFirst(indent)) : "" }
                    found.append(("Tests/\(path):\(first)", Array(body.joined(separator: "\n").utf8)))
                    start = nil
                }
            }
        }
        return found
    }

    @Test func repositoryFilesAndTestStrings() throws {
        var tally = Tally()
        let files = try Self.repositoryFiles()
        #expect(files.count > 50)
        for (name, bytes) in files { tally.compare(bytes, name) }
        let strings = try Self.testStrings()
        for (name, bytes) in strings { tally.compare(bytes, name) }
        print("differential: repository (\(files.count) files, \(strings.count) test strings): \(tally)")
        #expect(tally.failures.isEmpty, "\(tally.failures.joined(separator: "\n"))")
    }

    @Test func trickyDocuments() {
        var tally = Tally()
        for (index, text) in TrickyDocuments.all.enumerated() { tally.compare(Array(text.utf8), "tricky #\(index)") }
        print("differential: tricky documents: \(tally)")
        #expect(tally.failures.isEmpty, "\(tally.failures.joined(separator: "\n"))")
    }

    @Test func randomDocuments() {
        var tally = Tally()
        var random = SplitMix64(seed: 0x5EED_0001 &+ UInt64(Self.scale - 1))
        for index in 0..<(10_000 * Self.scale) {
            var generator = DocumentGenerator(random: SplitMix64(seed: random.next()))
            tally.compare(Array(generator.document().utf8), "random #\(index)")
        }
        print("differential: random documents: \(tally)")
        #expect(tally.failures.isEmpty, "\(tally.failures.joined(separator: "\n"))")
    }

    @Test func mutations() throws {
        var tally = Tally()
        var random = SplitMix64(seed: 0x5EED_0002 &+ UInt64(Self.scale - 1))
        var inputs = try Self.repositoryFiles().map(\.1).filter { $0.count < 20_000 }
        inputs += TrickyDocuments.all.map { Array($0.utf8) }
        for _ in 0..<300 {
            var generator = DocumentGenerator(random: SplitMix64(seed: random.next()))
            inputs.append(Array(generator.document().utf8))
        }
        var mutations = 0
        for input in inputs {
            for _ in 0..<(12 * Self.scale) {
                var bytes = input
                for _ in 0...Int(random.next() % 3) { Mutator.mutate(&bytes, &random) }
                mutations += 1
                tally.compare(bytes, "mutation #\(mutations)")
            }
        }
        print("differential: mutations (\(mutations) of \(inputs.count) inputs): \(tally)")
        #expect(tally.failures.isEmpty, "\(tally.failures.joined(separator: "\n"))")
    }
}

/// Seeded byte mutations: a byte replaced, inserted or removed, a YAML indicator or line break inserted, a span
/// repeated.
enum Mutator {
    static let pieces: [[UInt8]] = [
        ":", ": ", "-", "- ", "?", "? ", "[", "]", "{", "}", ",", "#", "&a", "*a", "!", "!!", "|", ">", "'", "\"",
        "%", "@", "`", " ", "  ", "\t", "\n", "\r\n", "\r", "---", "...", "\\", "\u{85}", "\u{2028}", "\u{FEFF}",
        "é", "\\x4", "\\u00", "%YAML 1.1\n", "%TAG ! !x\n", "!<a>", "|+", ">-2", "\n\n",
    ].map { Array($0.utf8) }

    static func mutate(_ bytes: inout [UInt8], _ random: inout SplitMix64) {
        let position = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count + 1))
        switch random.next() % 6 {
        case 0 where position < bytes.count: bytes[position] = UInt8(truncatingIfNeeded: random.next())
        case 1: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
        case 2 where position < bytes.count: bytes.remove(at: position)
        case 3 where position < bytes.count:
            let end = min(bytes.count, position + 1 + Int(random.next() % 40))
            bytes.insert(contentsOf: bytes[position..<end], at: position)
        default:
            bytes.insert(contentsOf: pieces[Int(random.next() % UInt64(pieces.count))], at: position)
        }
    }
}
