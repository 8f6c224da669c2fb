import Foundation
import HeraldTestSupport
import Testing

/// A plugin whose announce never returns: the host stays responsive, says why it is not ready, keeps reconciling the
/// other instances, and stops on SIGTERM within its grace period.
@Suite struct HungPluginTests {
    @Test func aHungAnnounceFailsTheInstanceAndNothingElse() throws {
        let fixture = try FixtureHost("herald-hung")
        try fixture.write(
            config: """
                apiVersion: herald.dev/v1
                node: {name: hung-node}
                pools: [{name: p, addresses: [192.0.2.0/28]}]
                advertisements: [{name: first, plugin: hung}, {name: second, plugin: rec}]
                staticVIPs: [{name: v, address: 192.0.2.1}, {name: w, address: 192.0.2.2}]
                """,
            plugins: [
                "hung.yaml":
                    "name: hung\nlibrary: \(fixture.library)\ncallTimeoutMs: 500\nconfig: {hangInAnnounce: true}\n",
                "rec.yaml": "name: rec\nlibrary: herald-log\n",
            ])
        let host = try fixture.start()
        defer { host.stop(quit: nil) }
        #expect(
            host.waitForLine(containing: ["announce 192.0.2.1/32 did not return within 0.5 s"], timeout: 20) != nil,
            "\(host.transcript)")
        let base = try #require(StatusEndpointTests.address(of: host), "\(host.transcript)")

        // The loop went on: the other instance announced both addresses.
        #expect(host.waitForLine(containing: ["announce 192.0.2.2/32"], timeout: 10) != nil, "\(host.transcript)")

        let threadsBefore = Self.threads(of: host.pid)
        var slowest = Duration.zero
        var codes: Set<String> = []
        var body = ""
        for _ in 0..<100 {
            let start = ContinuousClock.now
            let ready = try StatusEndpointTests.curl([base + "/readyz"])
            slowest = max(slowest, ContinuousClock.now - start)
            codes.insert(ready.code)
            body = ready.body
        }
        #expect(codes == ["503"], "\(codes)")
        #expect(slowest < .seconds(1), "slowest /readyz took \(slowest)")
        #expect(body.contains(#""instance":"hung","plugin":"dev.herald.test.fixture","state":"unhealthy""#), "\(body)")
        #expect(body.contains("did not return within its deadline"), "\(body)")
        #expect(
            Self.threads(of: host.pid) <= threadsBefore + 2, "threads: \(threadsBefore) → \(Self.threads(of: host.pid))"
        )
        #expect(try StatusEndpointTests.curl([base + "/healthz"]).code == "200", "the loop itself is not stuck")
        let metrics = try StatusEndpointTests.curl([base + "/metrics"]).body
        #expect(
            metrics.contains(#"herald_plugin_instance_health{instance="hung",plugin="dev.herald.test.fixture"} 2"#),
            "\(metrics)")

        // SIGTERM: the hung instance is skipped, the other withdraws, the host exits at once.
        let start = ContinuousClock.now
        kill(host.pid, SIGTERM)
        while host.isRunning && ContinuousClock.now - start < .seconds(10) { usleep(10_000) }
        let took = ContinuousClock.now - start
        #expect(!host.isRunning, "herald did not stop within 10 s of SIGTERM")
        #expect(took < .seconds(3), "stopping took \(took)")
        #expect(host.transcript.contains("withdraw"), "\(host.transcript)")
    }

    /// Three instances whose announce never returns, each with the default 5 s deadline: the first pass takes 15 s,
    /// longer than the stall limit (twice the longest deadline, at least 10 s). Meanwhile `/healthz` says the host
    /// is not live (so that the kubelet restarts it); once the pass ends, it is live again.
    @Test func aPassLongerThanTheStallLimitFailsHealthz() throws {
        let fixture = try FixtureHost("herald-stall")
        try fixture.write(
            config: """
                apiVersion: herald.dev/v1
                node: {name: stall-node}
                pools: [{name: p, addresses: [192.0.2.0/28]}]
                advertisements: [{name: a1, plugin: h1}, {name: a2, plugin: h2}, {name: a3, plugin: h3}]
                staticVIPs: [{name: v, address: 192.0.2.1}]
                """,
            plugins: Dictionary(
                uniqueKeysWithValues: ["h1", "h2", "h3"].map {
                    ("\($0).yaml", "name: \($0)\nlibrary: \(fixture.library)\nconfig: {hangInAnnounce: true}\n")
                }))
        let host = try fixture.start()
        defer { host.stop(quit: nil) }
        let base = try #require(StatusEndpointTests.address(of: host), "\(host.transcript)")
        var notLive: String?
        var liveAgain = false
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(30) && !liveAgain {
            let health = try StatusEndpointTests.curl([base + "/healthz"])
            if health.code == "503" { notLive = notLive ?? health.body }
            if health.code == "200" && notLive != nil { liveAgain = true }
            usleep(100_000)
        }
        #expect(notLive?.contains("not live") == true, "\(notLive ?? "always live")\n\(host.transcript)")
        #expect(liveAgain, "/healthz did not recover once the pass ended")
    }

    static func threads(of pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").count) ?? 0
    }
}
