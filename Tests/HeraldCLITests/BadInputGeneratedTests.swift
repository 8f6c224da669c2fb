import Foundation
import HeraldTestSupport
import Testing

/// The generated part of the bad-input corpus: cases too large, too binary or too tied to the file system to keep as
/// files. Each runs `herald check` as its own process, asserting exact lines, under 1 s of CPU time and 100 MB.
extension BadInputCorpusTests {
    func write(_ name: String, _ text: String) throws -> String {
        let path = "\(dir)/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let path = "\(dir)/\(name)"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }

    /// Nine levels of nine aliases each: 9^9 values if expanded.
    static func laughs(indent: String) -> String {
        var lines = ["\(indent)l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1..<9 {
            lines.append(
                "\(indent)l\(level): &l\(level) [\(Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", "))]"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func aliasBombs() throws {
        let plugins = try goodPlugins()
        let config = try write(
            "laughs.yaml",
            "apiVersion: herald.dev/v1\nadvertisements:\n  - name: a\n    plugin: log\n    attributes:\n"
                + Self.laughs(indent: "      "))
        let limit =
            "makes the file expand to more than 250000 values (aliases are copied where they are used; "
            + "write fewer or smaller ones)"
        try expect(
            "laughs in attributes", config: config, plugins: plugins,
            lines: ["\(config):11:26: error: alias *l4 \(limit)"])

        let (bombDir, bomb) = try pluginsWith(
            "bomb.yaml", "name: bomb\nlibrary: herald-log\nconfig:\n" + Self.laughs(indent: "  "))
        try expect(
            "laughs in a plugin config", config: try goodConfig(), plugins: bombDir,
            lines: ["\(bomb):9:22: error: alias *l4 \(limit)"])

        // 300 copies of 64 KiB: 19 MiB of text from a 64 KiB file.
        let big = String(repeating: "x", count: 64 << 10)
        let text =
            "apiVersion: herald.dev/v1\nx: &big \(big)\ny: ["
            + Array(repeating: "*big", count: 300)
            .joined(separator: ", ") + "]\n"
        let bytes = try write("bytes.yaml", text)
        // The anchor, the other scalars and 254 aliases fit in 16 MiB; the 255th does not: at column 5 + 6 * 254.
        try expect(
            "text bomb", config: bytes, plugins: plugins,
            lines: [
                "\(bytes):3:\(5 + 6 * 254): error: alias *big makes the file expand to more than 16 MiB of text "
                    + "(aliases are copied where they are used; write fewer or smaller ones)"
            ])
    }

    @Test func anchorAndAliasCounts() throws {
        let plugins = try goodPlugins()
        let anchors = (0..<1_001).map { "  - &a\($0) v" }.joined(separator: "\n")
        let manyAnchors = try write("anchors.yaml", "apiVersion: herald.dev/v1\nx:\n\(anchors)\n")
        try expect(
            "1,001 anchors", config: manyAnchors, plugins: plugins,
            lines: [
                "\(manyAnchors):1003:5: error: the file defines more than 1000 anchors (write the values out, or use "
                    + "fewer &anchors)"
            ])
        let aliases = (0..<10_001).map { _ in "  - *a" }.joined(separator: "\n")
        let manyAliases = try write("aliases.yaml", "apiVersion: herald.dev/v1\nv: &a 1\nx:\n\(aliases)\n")
        try expect(
            "10,001 aliases", config: manyAliases, plugins: plugins,
            lines: [
                "\(manyAliases):10004:5: error: the file uses more than 10000 aliases (write the values out, or use "
                    + "fewer *references)"
            ])
    }

    @Test func threeThousandPoolsWithOneOverlap() throws {
        var lines = ["apiVersion: herald.dev/v1", "pools:"]
        for i in 0..<3_000 {
            let a = i * 4
            lines.append("  - {name: p\(i), addresses: [10.\(a >> 16).\(a >> 8 & 255).\(a & 255)/30]}")
        }
        lines.append("  - {name: late, addresses: [10.0.31.65]}")
        let config = try write("pools.yaml", lines.joined(separator: "\n") + "\n")
        // 10.0.31.65 is in p2000 (10.0.31.64/30), written on line 2003.
        try expect(
            "3,000 pools", config: config, plugins: try goodPlugins(),
            lines: [
                "\(config):3003:30: error: pool \"late\": 10.0.31.65 overlaps 10.0.31.64-10.0.31.67 of pool "
                    + "\"p2000\" (written at line 2003, column 31) (an address may belong to one pool only)"
            ])
    }

    @Test func bytesThatAreNotText() throws {
        let plugins = try goodPlugins()
        let nul = try write(
            "nul.yaml", bytes: Array("apiVersion: herald.dev/v1\nkind: Hera".utf8) + [0] + Array("ld\n".utf8))
        try expect(
            "NUL byte", config: nul, plugins: plugins,
            lines: ["\(nul):2:11: error: a NUL byte (a control character) is not allowed in YAML text"])
        let bom = try write("bom.yaml", bytes: [0xEF, 0xBB, 0xBF] + Array("apiVersion: herald.dev/v1\n".utf8))
        try expect("byte-order mark", config: bom, plugins: plugins, lines: [])
        let empty = try write("empty.yaml", bytes: [])
        try expect(
            "empty file", config: empty, plugins: plugins,
            lines: ["\(empty):1:1: error: the file is empty (see the examples in the README)"])

        let (latinDir, latin) = try pluginsWith("latin1.yaml", "")
        #expect(FileManager.default.createFile(atPath: latin, contents: Data(Array("name: caf".utf8) + [0xE9, 0x0A])))
        try expect(
            "Latin-1 byte", config: try goodConfig(), plugins: latinDir,
            lines: ["\(latin):1:10: error: byte 0xe9 is not valid UTF-8: the file must be UTF-8 text"])
    }

    @Test func filesThatAreNotFiles() throws {
        let (plugins, _) = try pluginsWith("log.yaml", "name: log\nlibrary: herald-log\n")
        try FileManager.default.createDirectory(atPath: "\(plugins)/x.yaml", withIntermediateDirectories: false)
        try expect(
            "a directory named x.yaml", config: try goodConfig(), plugins: plugins,
            lines: [
                "\(plugins)/x.yaml:1:1: error: this is a directory, not a YAML file (remove it or rename it so that "
                    + "it does not end in .yaml or .yml)"
            ])
        let huge = try write(
            "huge.yaml", "apiVersion: herald.dev/v1\n# " + String(repeating: "x", count: 17 << 20) + "\n")
        try expect(
            "a 17 MiB file", config: huge, plugins: try goodPlugins(),
            lines: ["\(huge):1:1: error: file is larger than 16 MiB"])
    }

    @Test func everyProblemInOneRun() throws {
        // The config file is missing and plugins.d has a broken file: both are reported.
        let (plugins, broken) = try pluginsWith("broken.yaml", "name: broken\nlibrary: herald-log\nenabled: maybe\n")
        try expect(
            "missing config and a broken plugin file", config: "\(dir)/missing.yaml", plugins: plugins,
            lines: [
                "\(dir)/missing.yaml:1:1: error: cannot read: No such file or directory",
                "\(broken):3:10: error: enabled must be true or false, found a string (\"maybe\")",
            ])
        // An advertisement naming the broken file's instance is told the file is invalid, not that it is missing.
        let config = try write(
            "uses-broken.yaml", "apiVersion: herald.dev/v1\nadvertisements:\n  - {name: ad, plugin: broken}\n")
        try expect(
            "advertisement naming an invalid file", config: config, plugins: plugins,
            lines: [
                "\(config):3:24: error: advertisements[0].plugin names plugin instance \"broken\", whose file "
                    + "\(broken) is invalid (fix the problems reported for \(broken))",
                "\(broken):3:10: error: enabled must be true or false, found a string (\"maybe\")",
            ])
        // The plugins.d folder is missing and the config has a problem: both are reported.
        let bad = try write("bad.yaml", "apiVersion: herald.dev/v1\npool: []\n")
        try expect(
            "missing plugins.d and a bad config", config: bad, plugins: "\(dir)/no-such-folder",
            lines: [
                "\(bad):2:1: error: unknown key \"pool\" in the configuration (did you mean \"pools\"?)",
                "\(dir)/no-such-folder:1:1: error: cannot read the plugins.d folder: No such file or directory",
            ])
    }
}
