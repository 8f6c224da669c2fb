import HeraldCore
import HeraldIPAM
import Testing

@testable import HeraldStatus

@Suite struct PrometheusTextTests {
    static func instance(
        _ name: String, started: Bool = true, health: PluginHealth = PluginHealth(.ok), metrics: [PluginMetric] = []
    ) -> StatusSnapshot.Instance {
        StatusSnapshot.Instance(
            name: name, plugin: "dev.herald.arp", started: started,
            health: health, announcements: 2, logLines: 7, suppressedLogLines: 1, events: 3, metrics: metrics)
    }

    static func metric(
        _ name: String, _ value: Double, kind: PluginMetric.Kind = .counter, labels: [String: String] = [:]
    ) -> PluginMetric {
        PluginMetric(kind: kind, name: name, help: "help of \(name)", labels: labels, value: value)
    }

    @Test func hostAndPluginFamiliesAreRenderedOnceWithTheInstanceLabel() {
        let a = Self.instance(
            "arp-a", metrics: [Self.metric("arp_replies_total", 4, labels: ["address": "192.0.2.1"])])
        let b = Self.instance(
            "arp-b", metrics: [Self.metric("arp_replies_total", 9, labels: ["address": "192.0.2.2"])])
        let text = PrometheusText.render(
            StatusSnapshot(version: "0.1.0", abi: "1.0", node: "n1", instances: [a, b], reloads: 2, failedReloads: 1))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains(#"herald_build_info{version="0.1.0",abi="1.0",node="n1"} 1"#))
        #expect(lines.contains(#"herald_config_reloads_total{result="success"} 2"#))
        #expect(lines.contains(#"herald_config_reloads_total{result="failure"} 1"#))
        #expect(lines.contains(#"herald_plugin_instance_announcements{instance="arp-a",plugin="dev.herald.arp"} 2"#))
        #expect(
            lines.contains(#"herald_plugin_log_lines_suppressed_total{instance="arp-b",plugin="dev.herald.arp"} 1"#))
        #expect(lines.contains(#"herald_arp_replies_total{instance="arp-a",address="192.0.2.1"} 4"#))
        #expect(lines.contains(#"herald_arp_replies_total{instance="arp-b",address="192.0.2.2"} 9"#))
        // One HELP and one TYPE per family, before its samples.
        #expect(lines.filter { $0 == "# TYPE herald_arp_replies_total counter" }.count == 1)
        #expect(lines.filter { $0.hasPrefix("# HELP herald_arp_replies_total ") }.count == 1)
        let type = lines.firstIndex(of: "# TYPE herald_arp_replies_total counter")!
        #expect(lines.firstIndex { $0.hasPrefix("herald_arp_replies_total{") }! > type)
        // Every sample line is NAME{LABELS} VALUE or NAME VALUE.
        for line in lines where !line.hasPrefix("#") {
            #expect(line.split(separator: " ").count == 2, "\(line)")
        }
    }

    @Test func labelValuesAreEscapedAndBadNamesOrClashesAreLeftOut() {
        let i = Self.instance(
            "x",
            metrics: [
                Self.metric("odd", 1, labels: ["path": "a\"b\\c\nd", "instance": "inner", "9bad": "v", "__r": "v"]),
                Self.metric("mixed", 1, kind: .counter), Self.metric("mixed", 2, kind: .gauge),
                Self.metric("build_info", 5),
            ])
        let lines = PrometheusText.render(StatusSnapshot(version: "v", abi: "1.0", node: "n", instances: [i]))
            .split(separator: "\n").map(String.init)
        #expect(lines.contains(#"herald_odd{instance="x",exported_instance="inner",path="a\"b\\c\nd"} 1"#))
        #expect(lines.contains("herald_mixed{instance=\"x\"} 1"))
        #expect(!lines.contains("herald_mixed{instance=\"x\"} 2"))
        #expect(!lines.contains { $0.hasPrefix("herald_build_info{instance") })
        #expect(lines.contains(#"herald_plugin_metric_conflicts_total{instance="x"} 2"#))
        // HELP texts escape backslashes and newlines, not quotes.
        let helped = Self.instance(
            "h", metrics: [PluginMetric(kind: .gauge, name: "g", help: "a \"b\"\nc\\d", value: 1)])
        let text = PrometheusText.render(StatusSnapshot(version: "v", abi: "1.0", node: "n", instances: [helped]))
        #expect(text.contains(#"# HELP herald_g a "b"\nc\\d"# + "\n"))
    }

    @Test func ownershipChangesAreCountedPerInstance() {
        let text = PrometheusText.render(
            StatusSnapshot(
                version: "v", abi: "1.0", node: "n", instances: [], ownershipGained: ["arp": 3],
                ownershipLost: ["arp": 1, "ndp": 2]))
        #expect(text.contains("herald_ownership_changes_total{instance=\"arp\",change=\"gained\"} 3"))
        #expect(text.contains("herald_ownership_changes_total{instance=\"arp\",change=\"lost\"} 1"))
        #expect(text.contains("herald_ownership_changes_total{instance=\"ndp\",change=\"gained\"} 0"))
        #expect(text.contains("# TYPE herald_ownership_changes_total counter"))
    }

    @Test func reconcilePassesAreReported() {
        let text = PrometheusText.render(
            StatusSnapshot(
                version: "v", abi: "1.0", node: "n", instances: [], reconcilePasses: 7, reconcileSeconds: 0.25,
                lastReconcileSeconds: 0.125))
        #expect(text.contains("herald_reconcile_passes_total 7"))
        #expect(text.contains("herald_reconcile_seconds_total 0.25"))
        #expect(text.contains("herald_reconcile_last_seconds 0.125"))
        #expect(text.contains("# TYPE herald_reconcile_last_seconds gauge"))
    }

    @Test func poolUsageIsReportedOnlyByTheLeadingAllocator() {
        var snapshot = StatusSnapshot(version: "v", abi: "1.0", node: "n", instances: [])
        #expect(!PrometheusText.render(snapshot).contains("herald_pool_addresses"))
        snapshot.pools = [
            PoolStatistics(
                pool: "general", usage: [.ipv4: .init(total: 256, inUse: 3), .ipv6: .init(total: 65536, inUse: 1)],
                services: 4)
        ]
        let text = PrometheusText.render(snapshot)
        #expect(text.contains(#"herald_pool_addresses{pool="general",family="IPv4"} 256"#))
        #expect(text.contains(#"herald_pool_addresses_in_use{pool="general",family="IPv6"} 1"#))
        #expect(text.contains("# TYPE herald_pool_addresses_in_use gauge"))
    }

    @Test func valuesAreFormattedForPrometheus() {
        #expect(PrometheusText.format(3) == "3")
        #expect(PrometheusText.format(0.25) == "0.25")
        #expect(PrometheusText.format(.nan) == "NaN")
        #expect(PrometheusText.format(-.infinity) == "-Inf")
        #expect(PrometheusText.format(1e300) == "1e+300")
    }
}

@Suite struct ReadinessTests {
    @Test(arguments: [
        (PluginHealth(.ok), true, true, "ok"),
        (PluginHealth(.degraded, "one interface down"), true, true, "degraded"),
        (PluginHealth(.unhealthy, "no interface"), true, false, "unhealthy"),
        (PluginHealth(.ok), false, false, "stopped"),
    ])
    func readyUnlessAnInstanceIsUnhealthyOrStopped(health: PluginHealth, started: Bool, ready: Bool, state: String) {
        let snapshot = StatusSnapshot(
            version: "v", abi: "1.0", node: "n",
            instances: [
                PrometheusTextTests.instance("good"),
                PrometheusTextTests.instance("probe", started: started, health: health),
            ])
        let (isReady, body) = Readiness.evaluate(snapshot)
        #expect(isReady == ready)
        #expect(body.contains(#""instance":"probe","plugin":"dev.herald.arp","state":"\#(state)""#), "\(body)")
        if let detail = health.detail { #expect(body.contains(#""detail":"\#(detail)""#)) }
        #expect(body.hasPrefix(ready ? #"{"status":"ready""# : #"{"status":"not ready""#))
    }

    @Test func notReadyWhileAnEnabledInstanceFailed() {
        // The instance that failed to load is not among the running instances: only the problem count says so.
        let counted = StatusSnapshot(
            version: "v", abi: "1.0", node: "n", instances: [PrometheusTextTests.instance("a")], pluginProblems: 1)
        let (ready, body) = Readiness.evaluate(counted)
        #expect(!ready)
        #expect(body.contains(#""pluginProblems":1,"problems":[]"#), "\(body)")
        #expect(StatusRoutes.answer(method: .GET, uri: "/readyz", snapshot: { counted }).status == .serviceUnavailable)
        let problem = "plugins.d/b.yaml:2:10: error: instance \"b\": plugin library \"nope\" not found"
        let listed = StatusSnapshot(
            version: "v", abi: "1.0", node: "n", instances: [PrometheusTextTests.instance("a")], pluginProblems: 1,
            problems: [problem])
        let (listedReady, listedBody) = Readiness.evaluate(listed)
        #expect(!listedReady)
        #expect(
            listedBody.contains(#""problems":["plugins.d/b.yaml:2:10: error: instance \"b\": plugin"#), "\(listedBody)")
    }

    @Test func routesAnswerWithTheRightStatus() {
        let good = StatusSnapshot(version: "v", abi: "1.0", node: "n", instances: [PrometheusTextTests.instance("a")])
        let bad = StatusSnapshot(
            version: "v", abi: "1.0", node: "n",
            instances: [PrometheusTextTests.instance("a", health: PluginHealth(.unhealthy, "link down"))])
        #expect(StatusRoutes.answer(method: .GET, uri: "/metrics", snapshot: { good }).status == .ok)
        #expect(StatusRoutes.answer(method: .GET, uri: "/metrics?x=1", snapshot: { good }).status == .ok)
        #expect(StatusRoutes.answer(method: .HEAD, uri: "/healthz", snapshot: { bad }).status == .ok)
        #expect(StatusRoutes.answer(method: .GET, uri: "/readyz", snapshot: { good }).status == .ok)
        #expect(StatusRoutes.answer(method: .GET, uri: "/readyz", snapshot: { bad }).status == .serviceUnavailable)
        #expect(StatusRoutes.answer(method: .POST, uri: "/metrics", snapshot: { good }).status == .methodNotAllowed)
        #expect(StatusRoutes.answer(method: .GET, uri: "/", snapshot: { good }).status == .notFound)
    }
}
