import HeraldConfig
import HeraldConfigModel
import HeraldCore
import Testing

/// Input that once made the parser slow, wrong or vague: each case names the exact place and what is wrong.
@Suite struct BadInputTests {
    /// Nine levels of nine aliases: 9^9 values if expanded, a few hundred bytes written.
    static func laughs(indent: String, levels: Int = 9) -> String {
        var lines = ["\(indent)l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1..<levels {
            let items = Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", ")
            lines.append("\(indent)l\(level): &l\(level) [\(items)]")
        }
        return lines.joined(separator: "\n")
    }

    @Test func aliasBombInAttributesIsRejectedAtTheAlias() {
        let text =
            "apiVersion: herald.dev/v1\nadvertisements:\n  - name: a\n    plugin: log\n    attributes:\n"
            + Self.laughs(indent: "      ")
        let clock = ContinuousClock()
        var lines: [String] = []
        let elapsed = clock.measure { lines = ConfigParser.parse(text, file: "h.yaml").failureLines }
        // 9 + 81 + … values: level 6 ends at 9^6 + … > 250,000, crossed by the first *l5 past the limit.
        #expect(lines.count == 1)
        #expect(
            lines == [
                "h.yaml:11:26: error: alias *l4 makes the file expand to more than 250000 values (aliases are copied "
                    + "where they are used; write fewer or smaller ones)"
            ])
        #expect(elapsed < .milliseconds(500))
    }

    @Test func aliasBombInPluginConfigIsRejected() {
        let text = "name: x\nlibrary: herald-log\nconfig:\n" + Self.laughs(indent: "  ")
        let lines = PluginInstanceSpec.parse(text, file: "p.yaml").failureLines
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("p.yaml:9:22: error: alias *l4 makes the file expand to more than") == true)
    }

    @Test func anchorAndAliasCountsAreBounded() {
        let anchors = (0..<5).map { "a\($0): &x\($0) v" }.joined(separator: "\n")
        let limits = YAMLLimits(anchors: 3, aliases: 2, nodes: 1000, scalarBytes: 1000)
        #expect(
            YAMLLimitsProbe.problems(anchors, limits)
                == ["4:5: the file defines more than 3 anchors (write the values out, or use fewer &anchors)"])
        let aliases = "a: &x v\nb: [*x, *x, *x]\n"
        #expect(
            YAMLLimitsProbe.problems(aliases, limits)
                == ["2:13: the file uses more than 2 aliases (write the values out, or use fewer *references)"])
        let bytes = "a: &x \(String(repeating: "z", count: 400))\nb: [*x, *x]\n"
        #expect(
            YAMLLimitsProbe.problems(bytes, limits).first?.hasPrefix(
                "2:9: alias *x makes the file expand to more than 0 MiB of text") == true)
    }

    @Test func duplicateKeysAreReportedWhereTheSecondIsWritten() {
        let text = "apiVersion: herald.dev/v1\npools:\n  - name: a\n    addresses: [10.0.0.0/8]\n    name: b\n"
        #expect(
            ConfigParser.parse(text, file: "d.yaml").failureLines == [
                "d.yaml:5:5: error: key \"name\" is given twice in this mapping (first at line 3, column 5; keep one)"
            ])
        let flow = "name: x\nlibrary: y\nconfig: {a: 1, b: 2, a: 3}\n"
        #expect(
            PluginInstanceSpec.parse(flow, file: "p.yaml").failureLines == [
                "p.yaml:3:22: error: key \"a\" is given twice in this mapping (first at line 3, column 10; keep one)"
            ])
    }

    @Test func aByteOrderMarkIsAccepted() throws {
        let text = "\u{FEFF}apiVersion: herald.dev/v1\npools:\n  - {name: a, addresses: [10.0.0.0/8]}\n"
        let config = try ConfigParser.parse(text, file: "b.yaml").get()
        #expect(config.pools.map(\.name) == ["a"])
        let spec = try PluginInstanceSpec.parse("\u{FEFF}name: x\nlibrary: y\n", file: "p.yaml").get()
        #expect(spec.name == "x")
    }

    @Test func aNulByteIsLocated() {
        #expect(
            ConfigParser.parse("apiVersion: herald.dev/v1\nkind: Hera\u{0}ld\n", file: "n.yaml").failureLines == [
                "n.yaml:2:11: error: a NUL byte (a control character) is not allowed in YAML text"
            ])
    }

    @Test func integersOutOfRangeSaySo() {
        let text = """
            apiVersion: herald.dev/v1
            pools:
              - name: a
                addresses: [10.0.0.0/8]
                serviceAllocation: {priority: 99999999999999999999999}
            """
        #expect(
            ConfigParser.parse(text, file: "i.yaml").failureLines == [
                "i.yaml:5:35: error: pools[0].serviceAllocation.priority is out of range: it must be between 0 and "
                    + "2147483647, found 99999999999999999999999"
            ])
    }

    @Test func advertisementsSayWhyAnInstanceCannotBeUsed() {
        // The index of three plugins.d files as `herald check` reads them: one enabled, one with `enabled: false`, one
        // invalid (no library).
        let files = [
            ("plugins.d/up.yaml", "name: up\nlibrary: herald-log\n"),
            ("plugins.d/dormant.yaml", "name: dormant\nlibrary: herald-log\nenabled: false\n"),
            ("plugins.d/broken.yaml", "name: broken\n"),
        ]
        let index = PluginInstanceIndex(
            files.map { file, text in
                (file, PluginInstanceSpec.parse(text, file: file), PluginInstanceSpec.declaredName(text))
            })
        let text = """
            apiVersion: herald.dev/v1
            advertisements:
              - {name: a, plugin: up}
              - {name: b, plugin: dormant}
              - {name: c, plugin: broken}
              - {name: d, plugin: upp}
            """
        #expect(
            ConfigParser.parse(text, file: "a.yaml", plugins: index).failureLines == [
                "a.yaml:4:23: error: advertisements[1].plugin names plugin instance \"dormant\", which is disabled in "
                    + "plugins.d/dormant.yaml (set enabled: true in plugins.d/dormant.yaml)",
                "a.yaml:5:23: error: advertisements[2].plugin names plugin instance \"broken\", whose file "
                    + "plugins.d/broken.yaml is invalid (fix the problems reported for plugins.d/broken.yaml)",
                "a.yaml:6:23: error: advertisements[3].plugin names plugin instance \"upp\", which is not in plugins.d "
                    + "(did you mean \"up\"?)",
            ])
    }

    @Test func aVIPInAPoolThatFailedIsNotBlamedTwice() {
        let text = """
            apiVersion: herald.dev/v1
            pools:
              - name: a
                addresses: [10.0.0.0/33]
            staticVIPs:
              - {name: v, address: 10.0.0.1}
            """
        #expect(
            ConfigParser.parse(text, file: "v.yaml").failureLines == [
                "v.yaml:4:17: error: pools[0].addresses[0]: prefix length \"33\" must be 0...32"
            ])
    }

    @Test func overlapsAreFoundAmongManyRangesAndPointAtTheEntry() {
        // 20,000 disjoint /30s and one pool overlapping two of them and the 3,000th: each found, at its own entry.
        var lines = ["apiVersion: herald.dev/v1", "pools:"]
        for i in 0..<20_000 {
            let a = i * 4
            lines.append("  - {name: p\(i), addresses: [10.\(a >> 16).\(a >> 8 & 255).\(a & 255)/30]}")
        }
        lines.append("  - {name: late, addresses: [10.0.0.8/29, 10.0.46.225]}")
        let clock = ContinuousClock()
        var result: [String] = []
        let elapsed = clock.measure {
            result = ConfigParser.parse(lines.joined(separator: "\n"), file: "o.yaml").failureLines
        }
        let hint = " (an address may belong to one pool only)"
        #expect(
            result == [
                "o.yaml:6:28: error: pool \"p3\": 10.0.0.12-10.0.0.15 overlaps 10.0.0.8-10.0.0.15 of pool \"late\" "
                    + "(written at line 20003, column 30)" + hint,
                "o.yaml:20003:30: error: pool \"late\": 10.0.0.8-10.0.0.15 overlaps 10.0.0.8-10.0.0.11 of pool \"p2\" "
                    + "(written at line 5, column 28)" + hint,
                "o.yaml:20003:43: error: pool \"late\": 10.0.46.225 overlaps 10.0.46.224-10.0.46.227 of pool "
                    + "\"p3000\" (written at line 3003, column 31)" + hint,
            ])
        // A guard against quadratic work, not a speed target: a pass over every pair of the 20,001 pools takes minutes
        // in this unoptimised build; the linear one takes about 1 s alone, and up to 9 s has been seen with both cores
        // busy with other suites.
        #expect(elapsed < .seconds(20))
    }

    @Test func aPluginsWordsAboutItsConfigPointAtTheKeyOrValue() throws {
        let text = "name: x\nlibrary: y\nconfig:\n  gratuitous: {count: 3, intervalMs: fast}\n  interfaces: [eth0]\n"
        let spec = try PluginInstanceSpec.parse(text, file: "p.yaml").get()
        func at(_ message: String) -> String {
            let l = spec.location(ofPluginMessage: message)
            return "\(l.line):\(l.column)"
        }
        #expect(at("config.gratuitous.intervalMs: expected a number") == "4:38")
        #expect(at("config.gratuitous: expected a mapping") == "4:15")
        #expect(at(#"unknown key "count" (known keys: …)"#) == "4:16")
        #expect(at(#"unknown key "config.interfaces""#) == "5:3")
        #expect(at("config.interfaces[0]: no such interface") == "5:16")
        #expect(at("config.missing: required key is missing") == "4:3")
        #expect(at("something else entirely") == "4:3")
    }

    @Test func textPositionsCountCharacters() {
        #expect(TextPosition.of(byte: 6, in: Array("ab\nçd\u{0}".utf8)) == (2, 3) as (Int, Int))
        #expect(TextPosition.firstInvalidUTF8(Array("ok".utf8)) == nil)
        #expect(TextPosition.firstInvalidUTF8([0x61, 0x0A, 0xC3, 0xA7, 0xFF, 0x61]) == 4)
    }
}

/// Reads YAML through the plugin-instance parser with given limits, returning `line:column: message (hint)`.
enum YAMLLimitsProbe {
    static func problems(_ text: String, _ limits: YAMLLimits) -> [String] {
        limits.problems(in: text, file: "f.yaml").map {
            "\($0.location.line):\($0.location.column): \($0.message)" + ($0.hint.map { " (\($0))" } ?? "")
        }
    }
}
