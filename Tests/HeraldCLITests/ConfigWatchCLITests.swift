import Foundation
import HeraldTestSupport
import Testing

/// `herald run --watch-config`: a ConfigMap projected as the kubelet does (``ProjectedFolder``) is followed; a `..data`
/// swap that moves the pool and its VIP is announced within 2 s with no signal, and a broken swap is logged with its
/// place, counted in `herald_config_reloads_total{result="failure"}` and changes nothing.
@Suite struct ConfigWatchCLITests {
    static func config(pool: String, vip: String) -> String {
        """
        apiVersion: herald.dev/v1
        kind: HeraldConfig
        node: {name: watch-node}
        pools: [{name: \(pool), addresses: ["\(vip)/32"]}]
        advertisements: [{name: ad, plugin: rec}]
        staticVIPs: [{name: vip, address: \(vip)}]

        """
    }

    /// The addresses announced and not withdrawn since, from the log plugin's record file.
    static func active(_ path: String) -> Set<String> {
        var set = Set<String>()
        for call in CLITests.records(path) {
            if call["call"] == "announce", let a = call["address"] { set.insert(a) }
            if call["call"] == "withdraw", let a = call["address"] { set.remove(a) }
        }
        return set
    }

    static func wait(_ limit: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    /// The reload counter's value for `result`, from /metrics.
    static func reloads(_ base: String, _ result: String) throws -> Double? {
        let metrics = try StatusEndpointTests.curl([base + "/metrics"])
        let prefix = "herald_config_reloads_total{result=\"\(result)\"} "
        return metrics.body.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap {
            Double($0.dropFirst(prefix.count))
        }
    }

    /// A temporary folder with herald.yaml (pool "first", 192.0.2.1) and plugins.d (a recording log instance), each
    /// projected as the kubelet projects a ConfigMap, and the recording's path.
    static func projected(
        _ name: String
    ) throws -> (
        dir: String, record: String, config: ProjectedFolder, plugins: ProjectedFolder
    ) {
        let dir = try TestSupport.temporaryDirectory(name)
        let record = "\(dir)/calls.jsonl"
        var config = try ProjectedFolder("\(dir)/config")
        try config.project(["herald.yaml": Self.config(pool: "first", vip: "192.0.2.1")])
        var plugins = try ProjectedFolder("\(dir)/plugins.d")
        try plugins.project(["rec.yaml": "name: rec\nlibrary: herald-log\nconfig: {file: \(record)}\n"])
        return (dir, record, config, plugins)
    }

    @Test func aSwapIsAnnouncedWithinTwoSecondsAndABrokenOneIsCountedAndKeptOut() throws {
        let herald = try TestSupport.product("herald")
        var (dir, record, config, plugins) = try Self.projected("herald-watch-cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(config.path)/herald.yaml"
        let host = try LineProcess(
            executable: herald,
            arguments: [
                "run", "--config", path, "--plugins-dir", plugins.path, "--watch-config", "--status-address",
                "127.0.0.1:0",
            ])
        defer { host.stop(quit: nil) }
        let base = try #require(StatusEndpointTests.address(of: host), "\(host.lines)")
        #expect(Self.wait(20) { Self.active(record) == ["192.0.2.1"] }, "\(host.lines)")
        #expect(host.waitForLine(containing: ["following \(path) and \(plugins.path)"], timeout: 5) != nil)

        try config.project(["herald.yaml": Self.config(pool: "moved", vip: "198.51.100.1")])
        let swapped = Date()
        #expect(Self.wait(2) { Self.active(record) == ["198.51.100.1"] }, "\(host.lines)")
        print("announced after a ..data swap: \(Int(Date().timeIntervalSince(swapped) * 1000)) ms")
        #expect(try Self.reloads(base, "success") == 1)
        #expect(try Self.reloads(base, "failure") == 0)

        let calls = CLITests.records(record).count
        let lines = host.lines.count
        try config.project([
            "herald.yaml": Self.config(pool: "moved", vip: "198.51.100.1")
                .replacingOccurrences(of: "address: 198.51.100.1", with: "address: 203.0.113.9")
        ])
        #expect(Self.wait(2) { (try? Self.reloads(base, "failure")) == 1 }, "\(host.lines)")
        #expect(
            host.waitForLine(
                containing: ["\(path):6:", "error:", "203.0.113.9 is in no pool"], from: lines, timeout: 5) != nil,
            "\(host.lines)")
        #expect(try Self.reloads(base, "success") == 1)
        usleep(1_000_000)
        #expect(CLITests.records(record).count == calls, "a rejected configuration changed the announcements")
        #expect(Self.active(record) == ["198.51.100.1"])
    }

    /// Outside Kubernetes mode the files are followed only when asked: without --watch-config a swap waits for SIGHUP.
    @Test func withoutTheFlagAStandaloneHostWaitsForSIGHUP() throws {
        let herald = try TestSupport.product("herald")
        var (dir, record, config, plugins) = try Self.projected("herald-nowatch-cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let host = try LineProcess(
            executable: herald,
            arguments: [
                "run", "--config", "\(config.path)/herald.yaml", "--plugins-dir", plugins.path, "--status-address",
                "none",
            ])
        defer { host.stop(quit: nil) }
        #expect(Self.wait(20) { Self.active(record) == ["192.0.2.1"] }, "\(host.lines)")
        try config.project(["herald.yaml": Self.config(pool: "moved", vip: "198.51.100.1")])
        usleep(1_500_000)
        #expect(Self.active(record) == ["192.0.2.1"])
        host.signal(SIGHUP)
        #expect(Self.wait(5) { Self.active(record) == ["198.51.100.1"] }, "\(host.lines)")
    }
}
