import HeraldCore
import HeraldIPAM
import Testing

@testable import HeraldStatus

/// The Prometheus text exposition format (0.0.4), read strictly: every line is a `# HELP`, a `# TYPE` or a sample of
/// the family its `# TYPE` declared just before, and any other shape fails the test.
struct Exposition {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Family {
        var type: String
        var help: String?
        var samples: [Sample] = []
    }

    var families: [String: Family] = [:]

    struct Malformed: Error, CustomStringConvertible {
        var line: String
        var why: String
        var description: String { "\(why): \(line)" }
    }

    init(_ text: String) throws {
        guard text.isEmpty || text.hasSuffix("\n") else { throw Malformed(line: "", why: "no final newline") }
        var helps: [String: String] = [:]
        var current: String?
        var series = Set<String>()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                guard let space = rest.firstIndex(of: " ") else {
                    throw Malformed(line: line, why: "HELP without text")
                }
                let name = String(rest[..<space])
                guard Self.isMetricName(name), helps[name] == nil, families[name] == nil else {
                    throw Malformed(line: line, why: "bad or repeated HELP")
                }
                helps[name] = try Self.unescape(rest[rest.index(after: space)...], quotes: false, line: line)
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2, Self.isMetricName(String(parts[0])),
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[1])
                else { throw Malformed(line: line, why: "bad TYPE") }
                let name = String(parts[0])
                guard families[name] == nil else { throw Malformed(line: line, why: "family declared twice") }
                families[name] = Family(type: String(parts[1]), help: helps[name])
                current = name
            } else {
                guard !line.hasPrefix("#"), !line.isEmpty else { throw Malformed(line: line, why: "unexpected line") }
                let sample = try Self.sample(line)
                guard let family = current, Self.belongs(sample.name, to: family, type: families[family]!.type) else {
                    throw Malformed(line: line, why: "sample outside its family")
                }
                let key =
                    sample.name + sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined()
                guard series.insert(key).inserted else { throw Malformed(line: line, why: "series repeated") }
                families[family]!.samples.append(sample)
            }
        }
    }

    static func belongs(_ name: String, to family: String, type: String) -> Bool {
        if type == "histogram" { return ["_bucket", "_sum", "_count"].contains { name == family + $0 } }
        return name == family
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !(first >= "0" && first <= "9") else { return false }
        return name.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || c == ":" || (c >= "0" && c <= "9")
        }
    }

    static func isLabelName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, !(first >= "0" && first <= "9") else { return false }
        return name.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || (c >= "0" && c <= "9")
        }
    }

    /// `\\` and `\n` (and `\"` in label values) are the only escapes; a lone backslash or quote is malformed.
    static func unescape(_ text: Substring, quotes: Bool, line: String) throws -> String {
        var out = ""
        var escaped = false
        for c in text {
            if escaped {
                switch c {
                case "\\": out.append("\\")
                case "n": out.append("\n")
                case "\"" where quotes: out.append("\"")
                default: throw Malformed(line: line, why: "bad escape")
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" && quotes {
                throw Malformed(line: line, why: "unescaped quote")
            } else {
                out.append(c)
            }
        }
        guard !escaped else { throw Malformed(line: line, why: "dangling backslash") }
        return out
    }

    /// `name{label="value",…} value` or `name value`.
    static func sample(_ line: String) throws -> Sample {
        let chars = Array(line)
        var i = 0
        while i < chars.count, chars[i] != "{", chars[i] != " " { i += 1 }
        let name = String(chars[0..<i])
        guard isMetricName(name), i < chars.count else { throw Malformed(line: line, why: "bad sample name") }
        var labels: [String: String] = [:]
        if chars[i] == "{" {
            i += 1
            while true {
                let start = i
                while i < chars.count, chars[i] != "=" { i += 1 }
                let label = Substring(String(chars[start..<min(i, chars.count)]))
                guard i + 1 < chars.count, isLabelName(label), chars[i + 1] == "\"" else {
                    throw Malformed(line: line, why: "bad label")
                }
                i += 2
                let valueStart = i
                while i < chars.count, chars[i] != "\"" || !Self.evenBackslashes(chars, i) { i += 1 }
                guard i < chars.count else { throw Malformed(line: line, why: "unclosed label value") }
                let value = try unescape(Substring(String(chars[valueStart..<i])), quotes: true, line: line)
                guard labels.updateValue(value, forKey: String(label)) == nil else {
                    throw Malformed(line: line, why: "label repeated")
                }
                i += 1
                guard i < chars.count else { throw Malformed(line: line, why: "unclosed label set") }
                if chars[i] == "," {
                    i += 1
                    continue
                }
                guard chars[i] == "}" else { throw Malformed(line: line, why: "bad label separator") }
                i += 1
                break
            }
        }
        guard i < chars.count, chars[i] == " " else { throw Malformed(line: line, why: "no space before value") }
        let text = String(chars[(i + 1)...])
        guard !text.contains(" "), let value = Double(text) else { throw Malformed(line: line, why: "bad value") }
        return Sample(name: name, labels: labels, value: value)
    }

    /// Whether the quote at `index` follows an even number of backslashes (so it ends the value).
    static func evenBackslashes(_ chars: [Character], _ index: Int) -> Bool {
        var n = 0
        var j = index - 1
        while j >= 0, chars[j] == "\\" {
            n += 1
            j -= 1
        }
        return n % 2 == 0
    }

    func type(_ family: String) -> String? { families[family]?.type }

    /// The value of the one sample named `name` whose labels are exactly `labels`.
    func value(_ name: String, _ labels: [String: String] = [:], family: String? = nil) -> Double? {
        families[family ?? name]?.samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// Every label set of a family's samples.
    func labelSets(_ family: String) -> [[String: String]] { families[family]?.samples.map(\.labels) ?? [] }
}

@Suite struct MetricsTests {
    static func instance(
        _ name: String, plugin: String = "dev.herald.arp", started: Bool = true,
        health: PluginHealth = PluginHealth(.ok),
        logLines: Int = 7, metrics: [PluginMetric] = []
    ) -> StatusSnapshot.Instance {
        StatusSnapshot.Instance(
            name: name, plugin: plugin, started: started, health: health, announcements: 2, logLines: logLines,
            suppressedLogLines: 1, events: 3, metrics: metrics)
    }

    static func metric(
        _ name: String, _ value: Double, kind: PluginMetric.Kind = .counter, labels: [String: String] = [:]
    ) -> PluginMetric {
        PluginMetric(kind: kind, name: name, help: "help of \(name)", labels: labels, value: value)
    }

    static func snapshot(_ instances: [StatusSnapshot.Instance]) -> StatusSnapshot {
        StatusSnapshot(version: "v", abi: "1.0", node: "n", instances: instances)
    }

    @Test func theParserRefusesMalformedText() {
        for bad in [
            "herald_x 1",  // a sample before its TYPE
            "# TYPE herald_x gauge\nherald_x{a=\"b} 1\n",  // an unclosed label value
            "# TYPE herald_x gauge\nherald_x{a=\"b\",} 1\n",  // a trailing comma
            "# TYPE herald_x gauge\nherald_x{a=\"b\"}  1\n",  // two spaces
            "# TYPE herald_x gauge\nherald_x{a=\"b\\q\"} 1\n",  // a bad escape
            "# TYPE herald_x gauge\nherald_y 1\n",  // a sample of another family
            "# TYPE herald_x gauge\n# TYPE herald_x gauge\n",  // declared twice
            "# TYPE herald_x gauge\nherald_x one\n",  // not a number
            "# TYPE herald_x gauge\nherald_x 1\nherald_x 2\n",  // a series twice
        ] {
            #expect(throws: Exposition.Malformed.self, "\(bad)") { try Exposition(bad) }
        }
        #expect(throws: Never.self) {
            try Exposition("# HELP herald_x a \\\\ b\n# TYPE herald_x gauge\nherald_x{a=\"q\\\"\\\\\"} 1.5\n")
        }
    }

    @Test func hostFamiliesKeepTheirNamesTypesAndLabels() throws {
        let metrics = HeraldMetrics()
        var s = StatusSnapshot(
            version: "0.1.0", abi: "1.0", node: "n1", instances: [Self.instance("arp-a"), Self.instance("arp-b")],
            pluginProblems: 1, reloads: 2, failedReloads: 1, ownershipGained: ["arp-a": 3], ownershipLost: ["ndp": 2],
            reconcilePasses: 7, reconcileSeconds: 0.25, lastReconcileSeconds: 0.125)
        s.events = ["herald-speaker": (written: 4, dropped: 1)]
        s.pools = [
            PoolStatistics(
                pool: "general", usage: [.ipv4: .init(total: 256, inUse: 3), .ipv6: .init(total: 65536, inUse: 1)],
                services: 4)
        ]
        let e = try Exposition(metrics.render(s))
        let expected: [(String, String)] = [
            ("herald_build_info", "gauge"), ("herald_plugin_problems", "gauge"),
            ("herald_config_reloads_total", "counter"), ("herald_reconcile_passes_total", "counter"),
            ("herald_reconcile_seconds_total", "counter"), ("herald_reconcile_last_seconds", "gauge"),
            ("herald_events_written_total", "counter"), ("herald_events_dropped_total", "counter"),
            ("herald_pool_addresses", "gauge"), ("herald_pool_addresses_in_use", "gauge"),
            ("herald_pool_addresses_available", "gauge"), ("herald_ownership_changes_total", "counter"),
            ("herald_plugin_instance_started", "gauge"), ("herald_plugin_instance_health", "gauge"),
            ("herald_plugin_instance_announcements", "gauge"), ("herald_plugin_log_lines_total", "counter"),
            ("herald_plugin_log_lines_suppressed_total", "counter"), ("herald_plugin_events_total", "counter"),
            ("herald_plugin_metric_conflicts_total", "gauge"),
        ]
        for (name, type) in expected {
            #expect(e.type(name) == type, "\(name)")
            #expect(e.families[name]?.help?.isEmpty == false, "\(name) has a HELP text")
        }
        #expect(Set(e.families.keys) == Set(expected.map(\.0)))
        #expect(e.value("herald_build_info", ["version": "0.1.0", "abi": "1.0", "node": "n1"]) == 1)
        #expect(e.value("herald_plugin_problems") == 1)
        #expect(e.value("herald_config_reloads_total", ["result": "success"]) == 2)
        #expect(e.value("herald_config_reloads_total", ["result": "failure"]) == 1)
        #expect(e.value("herald_reconcile_passes_total") == 7)
        #expect(e.value("herald_reconcile_seconds_total") == 0.25)
        #expect(e.value("herald_reconcile_last_seconds") == 0.125)
        #expect(e.value("herald_events_written_total", ["component": "herald-speaker"]) == 4)
        #expect(e.value("herald_events_dropped_total", ["component": "herald-speaker"]) == 1)
        let v4 = ["pool": "general", "family": "IPv4"]
        let v6 = ["pool": "general", "family": "IPv6"]
        #expect(e.value("herald_pool_addresses", v4) == 256)
        #expect(e.value("herald_pool_addresses_in_use", v4) == 3)
        #expect(e.value("herald_pool_addresses_available", v4) == 253)
        #expect(e.value("herald_pool_addresses_available", v6) == 65535)
        #expect(e.value("herald_ownership_changes_total", ["instance": "arp-a", "change": "gained"]) == 3)
        #expect(e.value("herald_ownership_changes_total", ["instance": "arp-a", "change": "lost"]) == 0)
        #expect(e.value("herald_ownership_changes_total", ["instance": "ndp", "change": "lost"]) == 2)
        let a = ["instance": "arp-a", "plugin": "dev.herald.arp"]
        #expect(e.value("herald_plugin_instance_started", a) == 1)
        #expect(e.value("herald_plugin_instance_health", a) == 0)
        #expect(e.value("herald_plugin_instance_announcements", a) == 2)
        #expect(e.value("herald_plugin_log_lines_total", a) == 7)
        #expect(e.value("herald_plugin_log_lines_suppressed_total", a) == 1)
        #expect(e.value("herald_plugin_events_total", a) == 3)
        #expect(e.value("herald_plugin_metric_conflicts_total", ["instance": "arp-b"]) == 0)
        #expect(e.labelSets("herald_plugin_instance_health").count == 2)
        // Without pools (not the leading allocator) there are no pool families.
        let speaker = try Exposition(HeraldMetrics().render(Self.snapshot([])))
        #expect(speaker.families["herald_pool_addresses"] == nil)
        #expect(speaker.families["herald_pool_addresses_available"] == nil)
    }

    @Test func pluginFamiliesCarryTheInstanceAndFollowTheConflictRule() throws {
        let a = Self.instance(
            "arp-a",
            metrics: [
                Self.metric("arp_replies_total", 4, labels: ["address": "192.0.2.1"]),
                Self.metric("odd", 1, labels: ["path": "a\"b\\c\nd", "instance": "inner", "9bad": "v", "__r": "v"]),
                Self.metric("mixed", 1, kind: .counter), Self.metric("mixed", 2, kind: .gauge),
                Self.metric("build_info", 5),
            ])
        let b = Self.instance(
            "arp-b",
            metrics: [
                Self.metric("arp_replies_total", 9, labels: ["address": "192.0.2.2"]),
                Self.metric("level", 0.5, kind: .gauge),
            ])
        let e = try Exposition(HeraldMetrics().render(Self.snapshot([a, b])))
        #expect(e.type("herald_arp_replies_total") == "counter")
        #expect(e.families["herald_arp_replies_total"]?.help == "help of arp_replies_total")
        #expect(e.value("herald_arp_replies_total", ["instance": "arp-a", "address": "192.0.2.1"]) == 4)
        #expect(e.value("herald_arp_replies_total", ["instance": "arp-b", "address": "192.0.2.2"]) == 9)
        #expect(e.type("herald_level") == "gauge")
        #expect(e.value("herald_level", ["instance": "arp-b"]) == 0.5)
        // Label values escaped and read back; invalid label names dropped; `instance` becomes `exported_instance`.
        #expect(e.value("herald_odd", ["instance": "arp-a", "exported_instance": "inner", "path": "a\"b\\c\nd"]) == 1)
        // First kind wins; a host name is never taken; both counted.
        #expect(e.type("herald_mixed") == "counter")
        #expect(e.labelSets("herald_mixed") == [["instance": "arp-a"]])
        #expect(e.labelSets("herald_build_info").allSatisfy { $0["instance"] == nil })
        #expect(e.value("herald_plugin_metric_conflicts_total", ["instance": "arp-a"]) == 2)
        #expect(e.value("herald_plugin_metric_conflicts_total", ["instance": "arp-b"]) == 0)
    }

    @Test func countersAdvanceByTheDifferenceOfTotals() throws {
        let metrics = HeraldMetrics()
        func scrape(reloads: Int, seconds: Double, replies: Double) throws -> Exposition {
            try Exposition(
                metrics.render(
                    StatusSnapshot(
                        version: "v", abi: "1.0", node: "n",
                        instances: [Self.instance("a", metrics: [Self.metric("replies_total", replies)])],
                        reloads: reloads, reconcileSeconds: seconds)))
        }
        var e = try scrape(reloads: 2, seconds: 0.25, replies: 10)
        #expect(e.value("herald_config_reloads_total", ["result": "success"]) == 2)
        e = try scrape(reloads: 5, seconds: 0.75, replies: 12)
        #expect(e.value("herald_config_reloads_total", ["result": "success"]) == 5)
        #expect(e.value("herald_reconcile_seconds_total") == 0.75)
        #expect(e.value("herald_replies_total", ["instance": "a"]) == 12)
        // Unchanged totals leave counters as they are.
        e = try scrape(reloads: 5, seconds: 0.75, replies: 12)
        #expect(e.value("herald_config_reloads_total", ["result": "success"]) == 5)
        // A plugin total that goes down (its runner restarted) is a counter reset: the series starts at the new total.
        e = try scrape(reloads: 5, seconds: 0.75, replies: 4)
        #expect(e.value("herald_replies_total", ["instance": "a"]) == 4)
        e = try scrape(reloads: 5, seconds: 1, replies: 7)
        #expect(e.value("herald_replies_total", ["instance": "a"]) == 7)
        #expect(e.value("herald_reconcile_seconds_total") == 1)
    }

    @Test func seriesThatDisappearLeaveTheRegistry() throws {
        let metrics = HeraldMetrics()
        var s = Self.snapshot([
            Self.instance("a", metrics: [Self.metric("only_a_total", 1)]),
            Self.instance("b", plugin: "dev.herald.ndp", metrics: [Self.metric("shared", 1, kind: .gauge)]),
        ])
        s.pools = [PoolStatistics(pool: "p", usage: [.ipv4: .init(total: 4, inUse: 1)], services: 1)]
        s.ownershipGained = ["a": 1, "b": 1]
        metrics.pluginCall(
            instance: "b", plugin: "dev.herald.ndp", call: "announce", duration: .milliseconds(1), failed: false)
        var e = try Exposition(metrics.render(s))
        #expect(e.labelSets("herald_plugin_instance_health").count == 2)
        #expect(e.value("herald_only_a_total", ["instance": "a"]) == 1)
        #expect(e.value("herald_pool_addresses_available", ["pool": "p", "family": "IPv4"]) == 3)
        #expect(e.type("herald_plugin_call_duration_seconds") == "histogram")

        // Instance b removed, a's metric gone, the pool deleted.
        s.instances = [Self.instance("a")]
        s.pools = []
        s.ownershipGained = ["a": 1]
        e = try Exposition(metrics.render(s))
        for family in e.families.values {
            #expect(family.samples.allSatisfy { $0.labels["instance"] != "b" }, "\(family)")
        }
        #expect(e.labelSets("herald_plugin_instance_health") == [["instance": "a", "plugin": "dev.herald.arp"]])
        #expect(e.families["herald_only_a_total"] == nil)
        #expect(e.families["herald_shared"] == nil)
        #expect(e.families["herald_pool_addresses"] == nil)
        #expect(e.families["herald_pool_addresses_available"] == nil)
        #expect(e.families["herald_plugin_call_duration_seconds"] == nil)
        #expect(e.families["herald_plugin_call_failures_total"] == nil)
        #expect(e.labelSets("herald_ownership_changes_total").allSatisfy { $0["instance"] == "a" })

        // A name that has gone may come back as the other kind.
        s.instances = [Self.instance("a", metrics: [Self.metric("only_a_total", 3, kind: .gauge)])]
        e = try Exposition(metrics.render(s))
        #expect(e.type("herald_only_a_total") == "gauge")
        #expect(e.value("herald_only_a_total", ["instance": "a"]) == 3)
    }

    @Test func timedCallsFillTheHistogramBuckets() throws {
        let metrics = HeraldMetrics()
        let labels = ["instance": "a", "plugin": "dev.herald.arp", "call": "announce"]
        metrics.pluginCall(
            instance: "a", plugin: "dev.herald.arp", call: "announce", duration: .microseconds(30), failed: false)
        metrics.pluginCall(
            instance: "a", plugin: "dev.herald.arp", call: "announce", duration: .milliseconds(3), failed: true)
        metrics.pluginCall(instance: "a", plugin: "dev.herald.arp", call: "announce", duration: nil, failed: true)
        metrics.pluginCall(
            instance: "a", plugin: "dev.herald.arp", call: "health", duration: .seconds(20), failed: false)
        let e = try Exposition(metrics.render(Self.snapshot([Self.instance("a")])))
        let name = "herald_plugin_call_duration_seconds"
        #expect(e.type(name) == "histogram")
        let buckets = e.families[name]!.samples.filter {
            $0.name == name + "_bucket" && $0.labels["call"] == "announce"
        }
        #expect(buckets.count == HeraldMetrics.callBuckets.count + 1)
        for bucket in buckets {
            var rest = bucket.labels
            #expect(rest.removeValue(forKey: "le") != nil)
            #expect(rest == labels)
        }
        // 10 µs to 10 s, cumulative: 30 µs first counts at 50 µs, 3 ms at 5 ms.
        #expect(Double(try #require(buckets.first?.labels["le"])) == 0.00001)
        #expect(Double(try #require(buckets.dropLast().last?.labels["le"])) == 10)
        #expect(buckets.last?.labels["le"] == "+Inf")
        for bucket in buckets {
            let le = Double(bucket.labels["le"]!)!
            let want: Double = le < 0.00005 ? 0 : le < 0.005 ? 1 : 2
            #expect(bucket.value == want, "le=\(le)")
        }
        #expect(e.value(name + "_count", labels, family: name) == 2)
        #expect(abs(try #require(e.value(name + "_sum", labels, family: name)) - 0.00303) < 1e-9)
        #expect(e.type("herald_plugin_call_failures_total") == "counter")
        #expect(e.value("herald_plugin_call_failures_total", labels) == 2)
        var health = labels
        health["call"] = "health"
        #expect(e.value(name + "_count", health, family: name) == 1)
        health["le"] = "10.0"
        #expect(e.value(name + "_bucket", health, family: name) == 0)
        #expect(
            e.value(
                "herald_plugin_call_failures_total", ["instance": "a", "plugin": "dev.herald.arp", "call": "health"])
                == 0)
    }

    @Test func assignmentLatencyIsAHistogramWithoutLabels() throws {
        let metrics = HeraldMetrics()
        #expect(
            try Exposition(metrics.render(Self.snapshot([]))).families["herald_allocator_assignment_seconds"] == nil)
        metrics.assigned(after: .milliseconds(40))
        metrics.assigned(after: .seconds(2))
        let e = try Exposition(metrics.render(Self.snapshot([])))
        let name = "herald_allocator_assignment_seconds"
        #expect(e.type(name) == "histogram")
        #expect(e.value(name + "_count", family: name) == 2)
        #expect(e.value(name + "_bucket", ["le": "0.05"], family: name) == 1)
        #expect(e.value(name + "_bucket", ["le": "2.5"], family: name) == 2)
        #expect(e.value(name + "_bucket", ["le": "+Inf"], family: name) == 2)
    }

    @Test func routesRenderTheRegistry() throws {
        let metrics = HeraldMetrics()
        let answer = StatusRoutes.answer(
            method: .GET, uri: "/metrics", metrics: metrics, snapshot: { Self.snapshot([Self.instance("a")]) })
        #expect(answer.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(try Exposition(answer.body).type("herald_build_info") == "gauge")
    }
}
