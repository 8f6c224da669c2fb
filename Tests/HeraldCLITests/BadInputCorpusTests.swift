import Foundation
import HeraldTestSupport
import Testing

/// The bad-input corpus: every file of Tests/BadInput (herald.yaml cases and plugins.d cases) plus generated large
/// and binary cases, each run through `herald check` as its own process. Each case asserts the exact problem lines
/// (file:line:column and message) and that the process used under 1 s of CPU time (user and system) and 100 MB.
/// CPU time rather than wall time: the test command runs suites in parallel on two cores, and a case that needs
/// 0.15 s alone has taken 1.1 s of wall time beside them. The wall time is bounded separately, as a hang guard.
///
/// A corpus file lists what `herald check` must report for it in its first lines, as `# expect: LINE:COLUMN: MESSAGE`
/// (the text after `error: `; `$PLUGINS` is the plugins.d folder, `$DIR` its parent, `$PRODUCTS` the folder of the
/// built `herald`).
@Suite(.serialized) struct BadInputCorpusTests {
    static let corpus = TestSupport.packageRoot.appendingPathComponent("Tests/BadInput").path
    static let timeLimit = 1.0
    static let wallLimit = 10.0
    static let memoryLimitKB = 100 * 1024

    let herald: String
    let dir: String

    init() throws {
        herald = try TestSupport.product("herald")
        dir = try TestSupport.temporaryDirectory("herald-badinput")
    }

    struct Unreadable: Error { var fields: [String] }

    /// One `herald check` run: its output, and what /usr/bin/time measured.
    struct Measured {
        var output: TestSupport.Output
        /// CPU time, user and system.
        var seconds: Double
        var wallSeconds: Double
        var maxRSSKB: Int
    }

    func check(config: String, plugins: String) throws -> Measured {
        let timing = "\(dir)/time-\(UUID().uuidString)"
        let output = try TestSupport.run([
            "/usr/bin/time", "-f", "%U %S %e %M", "-o", timing, herald, "check", "--config", config, "--plugins-dir",
            plugins,
        ])
        let fields = try String(contentsOfFile: timing, encoding: .utf8).split(whereSeparator: \.isWhitespace)
        let last = fields.suffix(4).map(String.init)
        guard last.count == 4, let user = Double(last[0]), let system = Double(last[1]), let wall = Double(last[2]),
            let rss = Int(last[3])
        else {
            throw Unreadable(fields: fields.map(String.init))
        }
        return Measured(output: output, seconds: user + system, wallSeconds: wall, maxRSSKB: rss)
    }

    /// Expected lines of a corpus file: `# expect: L:C: message` becomes `FILE:L:C: error: message`.
    static func expectations(_ text: String, file: String, plugins: String, dir: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .prefix { $0.hasPrefix("#") }
            .compactMap { line -> String? in
                guard line.hasPrefix("# expect: ") else { return nil }
                let rest = line.dropFirst("# expect: ".count)
                let parts = rest.split(separator: ":", maxSplits: 2)
                guard parts.count == 3 else { return nil }
                let message = parts[2].replacingOccurrences(of: "$PLUGINS", with: plugins)
                    .replacingOccurrences(of: "$PRODUCTS", with: TestSupport.productsDirectory.path)
                    .replacingOccurrences(of: "$DIR", with: dir)
                return "\(file):\(parts[0]):\(parts[1]): error:\(message)"
            }
    }

    /// Runs one case and asserts its problem lines, exit status, time and memory. Returns the measurement.
    @discardableResult
    func expect(
        _ name: String, config: String, plugins: String, lines expected: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Measured {
        let measured = try check(config: config, plugins: plugins)
        let out = measured.output
        let problems = out.stderr.split(separator: "\n").map(String.init)
        if expected.isEmpty {
            #expect(out.status == 0, "\(name): \(out.stderr)", sourceLocation: sourceLocation)
        } else {
            #expect(out.status == 1, "\(name): exit \(out.status)", sourceLocation: sourceLocation)
            let count = expected.count
            #expect(
                problems == expected + ["\(count) problem\(count == 1 ? "" : "s") found"], "\(name)",
                sourceLocation: sourceLocation)
        }
        print(
            "bad input case \(name): \(measured.seconds) s CPU, \(measured.wallSeconds) s wall, "
                + "\(measured.maxRSSKB) KB")
        #expect(
            measured.seconds < Self.timeLimit, "\(name): used \(measured.seconds) s of CPU time",
            sourceLocation: sourceLocation)
        #expect(
            measured.wallSeconds < Self.wallLimit, "\(name): took \(measured.wallSeconds) s",
            sourceLocation: sourceLocation)
        #expect(
            measured.maxRSSKB < Self.memoryLimitKB, "\(name): used \(measured.maxRSSKB) KB",
            sourceLocation: sourceLocation)
        return measured
    }

    /// A plugins.d with one enabled `log` instance and one disabled `dormant` instance, for the herald.yaml cases.
    func goodPlugins() throws -> String {
        let plugins = "\(dir)/good-plugins.d"
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        try "name: log\nlibrary: herald-log\n".write(toFile: "\(plugins)/log.yaml", atomically: true, encoding: .utf8)
        try "name: dormant\nlibrary: herald-log\nenabled: false\n".write(
            toFile: "\(plugins)/off.yaml", atomically: true, encoding: .utf8)
        return plugins
    }

    /// A plugins.d holding only `name` with `text`.
    func pluginsWith(_ name: String, _ text: String) throws -> (directory: String, file: String) {
        let plugins = "\(dir)/case-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        try text.write(toFile: "\(plugins)/\(name)", atomically: true, encoding: .utf8)
        return (plugins, "\(plugins)/\(name)")
    }

    func goodConfig() throws -> String {
        let path = "\(dir)/good-herald.yaml"
        try "apiVersion: herald.dev/v1\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func files(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "\(corpus)/\(folder)").filter { $0.hasSuffix(".yaml") }
            .sorted()
    }

    @Test func heraldYAMLCases() throws {
        let plugins = try goodPlugins()
        let names = try Self.files("herald")
        #expect(names.count >= 45)
        var worst = (seconds: 0.0, rss: 0)
        for name in names {
            let path = "\(Self.corpus)/herald/\(name)"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let expected = Self.expectations(text, file: path, plugins: plugins, dir: dir)
            #expect(!expected.isEmpty, "\(name) has no # expect: line")
            let m = try expect(name, config: path, plugins: plugins, lines: expected)
            worst = (max(worst.seconds, m.seconds), max(worst.rss, m.maxRSSKB))
        }
        print("bad input, herald.yaml: \(names.count) cases, slowest \(worst.seconds) s, largest \(worst.rss) KB")
    }

    @Test func pluginsDCases() throws {
        let config = try goodConfig()
        // For library-not-elf.yaml: a text file where a library should be.
        let names = try Self.files("plugins.d")
        #expect(names.count >= 20)
        var worst = (seconds: 0.0, rss: 0)
        for name in names {
            let text = try String(contentsOfFile: "\(Self.corpus)/plugins.d/\(name)", encoding: .utf8)
            let (plugins, file) = try pluginsWith(name, text)
            try "not a library\n".write(toFile: "\(dir)/not-elf.so", atomically: true, encoding: .utf8)
            let expected = Self.expectations(text, file: file, plugins: plugins, dir: dir)
            #expect(!expected.isEmpty, "\(name) has no # expect: line")
            let m = try expect(name, config: config, plugins: plugins, lines: expected)
            worst = (max(worst.seconds, m.seconds), max(worst.rss, m.maxRSSKB))
        }
        print("bad input, plugins.d: \(names.count) cases, slowest \(worst.seconds) s, largest \(worst.rss) KB")
    }
}
