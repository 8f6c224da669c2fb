import Foundation
import HeraldTestSupport
import Testing

/// `herald run` serves /metrics, /healthz and /readyz; a port already taken leaves them off and the host running.
@Suite struct StatusEndpointTests {
    let herald: String
    let dir: String

    init() throws {
        herald = try TestSupport.product("herald")
        dir = try TestSupport.temporaryDirectory("herald-status")
        try FileManager.default.createDirectory(atPath: "\(dir)/plugins.d", withIntermediateDirectories: true)
        try "name: rec\nlibrary: herald-log\n".write(
            toFile: "\(dir)/plugins.d/rec.yaml", atomically: true, encoding: .utf8)
        try CLITests.config.write(toFile: "\(dir)/herald.yaml", atomically: true, encoding: .utf8)
    }

    func start(_ address: String) throws -> LineProcess {
        try LineProcess(
            executable: herald,
            arguments: [
                "run", "--config", "\(dir)/herald.yaml", "--plugins-dir", "\(dir)/plugins.d", "--status-address",
                address,
            ])
    }

    func curl(_ arguments: [String]) throws -> (code: String, body: String) { try Self.curl(arguments) }

    static func curl(_ arguments: [String]) throws -> (code: String, body: String) {
        let out = try TestSupport.run(
            ["/usr/bin/curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "5"] + arguments, timeout: 10)
        let text = out.stdout
        let cut = text.lastIndex(of: "\n") ?? text.endIndex
        return (String(text[text.index(after: cut)...]), String(text[..<cut]))
    }

    @Test func metricsHealthAndReadinessAreServed() throws {
        let host = try start("127.0.0.1:0")
        defer { host.stop(quit: nil) }
        let base = try #require(waitForAddress(host), "\(host.transcript)")

        let metrics = try curl([base + "/metrics"])
        #expect(metrics.code == "200")
        let lines = metrics.body.split(separator: "\n").map(String.init)
        // Gauges are written as floating-point numbers, counters of whole totals as integers.
        #expect(lines.contains(#"herald_build_info{version="0.1.0",abi="1.0",node="cli-node"} 1.0"#), "\(metrics.body)")
        #expect(lines.contains(#"herald_plugin_instance_started{instance="rec",plugin="dev.herald.log"} 1.0"#))
        #expect(lines.contains(#"herald_plugin_instance_announcements{instance="rec",plugin="dev.herald.log"} 3.0"#))
        // The log plugin's own metrics, collected through the ABI.
        #expect(lines.contains(#"herald_log_announce_calls_total{instance="rec"} 3"#), "\(metrics.body)")
        // Each announce timed: three in the histogram, none failed.
        #expect(
            lines.contains(
                #"herald_plugin_call_duration_seconds_count{instance="rec",plugin="dev.herald.log",call="announce"} 3"#),
            "\(metrics.body)")
        #expect(
            lines.contains(
                #"herald_plugin_call_failures_total{instance="rec",plugin="dev.herald.log",call="announce"} 0"#))

        #expect(try curl([base + "/healthz"]) == ("200", "ok\n"))
        let ready = try curl([base + "/readyz"])
        #expect(ready.code == "200")
        #expect(ready.body.hasPrefix(#"{"status":"ready","node":"cli-node","instances":[{"instance":"rec""#))
        #expect(try curl(["-X", "POST", base + "/metrics"]).code == "405")
        #expect(try curl([base + "/nothing"]).code == "404")

        // A second host on the same port: the endpoints are off, the host runs and announces all the same.
        let port = base.split(separator: ":").last!
        let second = try start("127.0.0.1:\(port)")
        defer { second.stop(quit: nil) }
        #expect(second.waitForLine(containing: ["status endpoints are off", "127.0.0.1:\(port)"], timeout: 20) != nil)
        #expect(second.waitForLine(containing: ["herald is running"], timeout: 20) != nil, "\(second.transcript)")
        usleep(300_000)
        #expect(second.isRunning)
        #expect(try curl([base + "/healthz"]).code == "200", "the first host still serves")
    }

    /// `http://HOST:PORT` from the "status endpoints: http://HOST:PORT/metrics, ..." log line.
    func waitForAddress(_ host: LineProcess) -> String? { Self.address(of: host) }

    static func address(of host: LineProcess) -> String? {
        guard host.waitForLine(containing: ["status endpoints: http://"], timeout: 20) != nil,
            let line = host.lines.first(where: { $0.contains("status endpoints: http://") }),
            let start = line.range(of: "http://")
        else { return nil }
        let rest = line[start.upperBound...]
        return "http://" + rest.prefix { $0 != "/" }
    }

    @Test func aBadAddressIsRefusedWithTheReason() throws {
        let out = try TestSupport.run(
            [herald, "run", "--config", "\(dir)/herald.yaml", "--status-address", "localhost"], timeout: 20)
        #expect(out.status != 0)
        #expect(out.stderr.contains("--status-address localhost: expected HOST:PORT, [ADDRESS]:PORT or none"))
    }
}
