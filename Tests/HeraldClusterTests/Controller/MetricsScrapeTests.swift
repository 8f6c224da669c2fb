import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import HeraldTestSupport
import Testing

/// The allocator's /metrics as Prometheus reads it: `scripts/check-metrics` parses a live scrape with
/// prometheus_client's parser (no regular expressions), finds the pool usage the test caused, and checks that every
/// query of deploy/dashboard/herald.json names a metric that exists. A cluster of its own: the allocator serves every
/// LoadBalancer Service of a cluster.
@Suite(.serialized) struct MetricsScrapeTests {
    let directory: String
    static let checker = TestSupport.packageRoot.appendingPathComponent("scripts/check-metrics").path
    static let dashboard = TestSupport.packageRoot.appendingPathComponent("deploy/dashboard/herald.json").path
    static let fixtures = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/Metrics").path

    init() throws { directory = try TestSupport.temporaryDirectory("herald-metrics-scrape") }

    /// `http://HOST:PORT` from the host's "status endpoints: http://HOST:PORT/metrics, ..." log line.
    static func statusAddress(_ host: HostProcess) -> String? {
        let lines = host.output.split(separator: "\n")
        guard let line = lines.first(where: { $0.contains("status endpoints: http://") }),
            let start = line.range(of: "http://")
        else { return nil }
        return "http://" + line[start.upperBound...].prefix { $0 != "/" }
    }

    /// Five Services from a pool of 16 addresses: the leading allocator's scrape says 5 in use of 16, and the
    /// dashboard's queries all name metrics of that scrape or of the speakers' captured ones (the BGP, BFD and
    /// layer-2 metrics come from speakers running those plugins, Tests/Fixtures/Metrics).
    @Test func theAllocatorsScrapeParsesWithPoolUsageAsAssignedAndFeedsTheDashboard() async throws {
        let cluster = try await DevCluster.Registry.shared.get("metrics", options: [])
        try await withClient(try cluster.adminClient("metrics")) { client in
            try await ControllerLab.cleanUp(client)
            let ns = try await makeNamespace(client, "metrics")
            let config = """
                apiVersion: herald.dev/v1
                pools:
                  - name: metrics
                    addresses: [192.0.2.0/28]
                advertisements:
                  - {name: all, plugin: log}
                """
            let names = (0..<5).map { "svc-\($0)" }
            try await ControllerLab.create(client, names.map { ControllerLab.service($0, namespace: ns) })
            // HostProcess passes `--status-address none`; the later option wins: a port of the kernel's choice.
            let host = try HostProcess(
                cluster: cluster, node: "metrics-a", directory: directory, config: config,
                extra: ["--status-address", "127.0.0.1:0"])
            let got = try await ControllerLab.waitAssigned(client, namespace: ns, names: Set(names))
            #expect(Set(got.values.compactMap(\.pool)) == ["metrics"], "\(got)")
            #expect(Set(got.values.flatMap(\.addresses)).count == 5, "\(got)")

            var base: String?
            let listening = await eventually {
                base = Self.statusAddress(host)
                return base != nil
            }
            #expect(listening, "\(host.output)")
            let url = try #require(base) + "/metrics"

            let arguments = [
                Self.checker, url,
                "--scrape", Self.fixtures + "/speaker-l2.prom",
                "--scrape", Self.fixtures + "/speaker-bgp-a.prom",
                "--scrape", Self.fixtures + "/speaker-bgp-b.prom",
                "--dashboard", Self.dashboard,
                "--expect", #"herald_pool_addresses_in_use{pool="metrics",family="IPv4"}=5"#,
                "--expect", #"herald_pool_addresses{pool="metrics",family="IPv4"}=16"#,
                "--expect", #"herald_pool_addresses_available{pool="metrics",family="IPv4"}=11"#,
                // Each of the five waited for its first address once.
                "--expect", "herald_allocator_assignment_seconds_count=5",
                "--require", "herald_plugin_call_duration_seconds_bucket",
                "--require", "herald_events_written_total",
            ]
            // The usage is published with the allocator's pass; the addresses are visible a moment earlier.
            var status: Int32 = -1
            var output = ""
            _ = try await eventually(timeout: .seconds(20)) {
                let run = try await TestSupport.runDetached(arguments, timeout: 60)
                (status, output) = (run.status, run.stdout)
                return status == 0
            }
            print("scripts/check-metrics (exit \(status)):\n\(output)")
            #expect(status == 0, "\(output)\n\(host.output.suffix(2000))")
            #expect(output.contains(#"expect herald_pool_addresses_in_use{family="IPv4",pool="metrics"} = 5: ok"#))
            // HERALD_METRICS_CAPTURE=FILE keeps this scrape (how Tests/Fixtures/Metrics/allocator.prom is captured).
            if let capture = ProcessInfo.processInfo.environment["HERALD_METRICS_CAPTURE"], status == 0 {
                let saved = try await TestSupport.runDetached(
                    ["/usr/bin/curl", "-sf", "-o", capture, url], timeout: 10)
                #expect(saved.status == 0, "\(saved.stdout)")
            }

            await host.stop()
            try await ControllerLab.cleanUp(client)
        }
    }
}
