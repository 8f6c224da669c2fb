import HeraldCore
import HeraldIPAM
import Testing

@testable import HeraldStatus

@Suite struct ReadinessTests {
    let metrics = HeraldMetrics()

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
                MetricsTests.instance("good"),
                MetricsTests.instance("probe", started: started, health: health),
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
            version: "v", abi: "1.0", node: "n", instances: [MetricsTests.instance("a")], pluginProblems: 1)
        let (ready, body) = Readiness.evaluate(counted)
        #expect(!ready)
        #expect(body.contains(#""pluginProblems":1,"problems":[]"#), "\(body)")
        #expect(
            StatusRoutes.answer(method: .GET, uri: "/readyz", metrics: metrics, snapshot: { counted }).status
                == .serviceUnavailable)
        let problem = "plugins.d/b.yaml:2:10: error: instance \"b\": plugin library \"nope\" not found"
        let listed = StatusSnapshot(
            version: "v", abi: "1.0", node: "n", instances: [MetricsTests.instance("a")], pluginProblems: 1,
            problems: [problem])
        let (listedReady, listedBody) = Readiness.evaluate(listed)
        #expect(!listedReady)
        #expect(
            listedBody.contains(#""problems":["plugins.d/b.yaml:2:10: error: instance \"b\": plugin"#), "\(listedBody)")
    }

    @Test func routesAnswerWithTheRightStatus() {
        let good = StatusSnapshot(version: "v", abi: "1.0", node: "n", instances: [MetricsTests.instance("a")])
        let bad = StatusSnapshot(
            version: "v", abi: "1.0", node: "n",
            instances: [MetricsTests.instance("a", health: PluginHealth(.unhealthy, "link down"))])
        #expect(StatusRoutes.answer(method: .GET, uri: "/metrics", metrics: metrics, snapshot: { good }).status == .ok)
        #expect(
            StatusRoutes.answer(method: .GET, uri: "/metrics?x=1", metrics: metrics, snapshot: { good }).status == .ok)
        #expect(StatusRoutes.answer(method: .HEAD, uri: "/healthz", metrics: metrics, snapshot: { bad }).status == .ok)
        #expect(StatusRoutes.answer(method: .GET, uri: "/readyz", metrics: metrics, snapshot: { good }).status == .ok)
        #expect(
            StatusRoutes.answer(method: .GET, uri: "/readyz", metrics: metrics, snapshot: { bad }).status
                == .serviceUnavailable)
        #expect(
            StatusRoutes.answer(method: .POST, uri: "/metrics", metrics: metrics, snapshot: { good }).status
                == .methodNotAllowed)
        #expect(StatusRoutes.answer(method: .GET, uri: "/", metrics: metrics, snapshot: { good }).status == .notFound)
    }
}
