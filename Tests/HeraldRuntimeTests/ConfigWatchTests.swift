import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldPluginHost
import HeraldRuntime
import HeraldTestSupport
import Logging
import Testing

/// herald.yaml and plugins.d followed on disk: a kubelet's `..data` swap reloads them as SIGHUP does, without a
/// signal; an invalid swap keeps the running configuration, counts a failure and reports the file and line.
@Suite struct ConfigWatchTests {
    static func config(pool: String, addresses: String) -> String {
        "apiVersion: herald.dev/v1\nkind: HeraldConfig\npools:\n  - name: \(pool)\n    addresses: [\(addresses)]\n"
    }

    /// Applied configurations (their pools' names, the plugins.d instances) with the monotonic time each was applied at.
    final class Applied: Sendable {
        let state = Locked([(pools: [String], plugins: [String]?, at: ContinuousClock.Instant)]())

        var pools: [[String]] { state.get().map(\.pools) }
        var last: (pools: [String], plugins: [String]?, at: ContinuousClock.Instant)? { state.get().last }

        func record(_ config: HeraldConfiguration, _ entries: [PluginDirectory.Entry]?) {
            let pools = config.pools.map(\.name)
            let plugins = entries.map { $0.compactMap { try? $0.spec.get().name }.sorted() }
            state.mutate { $0.append((pools, plugins, ContinuousClock.now)) }
        }
    }

    func start(_ reloader: ConfigReloader) async throws -> Task<Void, any Error> {
        let task = Task { try await reloader.run() }
        let deadline = ContinuousClock.now + .seconds(10)
        while !reloader.isFollowing, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try #require(reloader.isFollowing)
        return task
    }

    func waitUntil(_ limit: Duration, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func aSwappedConfigMapIsInForceWithinTwoSecondsAndABrokenOneIsKeptOut() async throws {
        let dir = try TestSupport.temporaryDirectory("herald-watch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var folder = try ProjectedFolder(dir + "/config")
        try folder.project(["herald.yaml": Self.config(pool: "first", addresses: "192.0.2.0/28")])
        let path = folder.path + "/herald.yaml"
        let applied = Applied()
        let reports = Locked([[String]]())
        let reloader = ConfigReloader(
            path: path, pluginsDirectory: nil, watch: .init(), logger: Logger(label: "test"),
            report: { problems in reports.mutate { $0.append(problems) } },
            apply: { config, entries in applied.record(config, entries) })
        let running = try await start(reloader)
        defer { running.cancel() }

        // The pool moves: in force within 2 s, without a signal.
        try folder.project(["herald.yaml": Self.config(pool: "moved", addresses: "198.51.100.0/28")])
        let swapped = ContinuousClock.now
        #expect(try await waitUntil(.seconds(2)) { applied.pools.count == 1 }, "not reloaded within 2 s")
        let latency = try #require(applied.last).at - swapped
        print("reload after a ..data swap: \(latency)")
        #expect(applied.pools == [["moved"]])
        #expect(reloader.statistics.applied == 1 && reloader.statistics.rejected == 0)

        // Unchanged files are not reloaded again.
        try await Task.sleep(for: .milliseconds(1500))
        #expect(applied.pools.count == 1)
        #expect(reloader.statistics.applied == 1)

        // A broken edit (line 5: an address that is none): counted, reported with its place, not applied; not
        // retried while the files stay as they are.
        try folder.project([
            "herald.yaml":
                "apiVersion: herald.dev/v1\nkind: HeraldConfig\npools:\n  - name: broken\n    addresses: [300.1.2.3/24]\n"
        ])
        #expect(try await waitUntil(.seconds(2)) { reloader.statistics.rejected == 1 }, "no failed reload in 2 s")
        #expect(try await waitUntil(.seconds(2)) { reports.get().count == 1 })
        let problems = reports.get().first ?? []
        #expect(problems.contains { $0.hasPrefix("\(path):5:") && $0.contains("error:") }, "\(problems)")
        try await Task.sleep(for: .milliseconds(1500))
        #expect(applied.pools == [["moved"]])
        #expect(reloader.statistics.applied == 1 && reloader.statistics.rejected == 1)

        // Fixed again: applied.
        try folder.project(["herald.yaml": Self.config(pool: "fixed", addresses: "203.0.113.0/28")])
        #expect(try await waitUntil(.seconds(2)) { applied.pools.count == 2 })
        #expect(applied.pools.last == ["fixed"])
    }

    @Test func aSwappedPluginsFolderIsReloadedWithTheConfiguration() async throws {
        let dir = try TestSupport.temporaryDirectory("herald-watch-plugins")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = try ProjectedFolder(dir + "/config")
        try config.project(["herald.yaml": Self.config(pool: "p", addresses: "192.0.2.0/28")])
        var plugins = try ProjectedFolder(dir + "/plugins.d")
        let log = "name: log\nlibrary: herald-log\n"
        try plugins.project(["log.yaml": log])
        let applied = Applied()
        let reloader = ConfigReloader(
            path: config.path + "/herald.yaml", pluginsDirectory: plugins.path, watch: .init(),
            logger: Logger(label: "test"), apply: { config, entries in applied.record(config, entries) })
        let running = try await start(reloader)
        defer { running.cancel() }

        try plugins.project(["log.yaml": log, "second.yaml": "name: second\nlibrary: herald-log\n"])
        #expect(try await waitUntil(.seconds(2)) { applied.pools.count == 1 }, "not reloaded within 2 s")
        #expect(applied.last?.plugins == ["log", "second"])

        // A file taken out of the ConfigMap: its link goes, and so does the instance.
        try plugins.project(["second.yaml": "name: second\nlibrary: herald-log\n"])
        #expect(try await waitUntil(.seconds(2)) { applied.pools.count == 2 })
        #expect(applied.last?.plugins == ["second"])
    }

    /// Without a watch (the default outside Kubernetes mode), a swap changes nothing until SIGHUP.
    @Test func withoutAWatchASwapIsNotReloaded() async throws {
        let dir = try TestSupport.temporaryDirectory("herald-nowatch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var folder = try ProjectedFolder(dir + "/config")
        try folder.project(["herald.yaml": Self.config(pool: "first", addresses: "192.0.2.0/28")])
        let applied = Applied()
        let reloader = ConfigReloader(
            path: folder.path + "/herald.yaml", pluginsDirectory: nil, logger: Logger(label: "test"),
            apply: { config, entries in applied.record(config, entries) })
        let running = Task { try await reloader.run() }
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(200))
        try folder.project(["herald.yaml": Self.config(pool: "moved", addresses: "198.51.100.0/28")])
        try await Task.sleep(for: .milliseconds(1500))
        #expect(applied.pools.isEmpty)
        #expect(!reloader.isFollowing)
        await reloader.reload()
        #expect(applied.pools == [["moved"]])
    }
}

/// The Event about a rejected reload stays small however many problems there are.
@Suite struct ReloadEventMessageTests {
    @Test func atMostFiveProblemsAndAKilobyte() {
        let problems = (1...8).map { "/etc/herald/config/herald.yaml:\($0):3: error: problem \($0)" }
        let message = PodEvents.reloadMessage(problems)
        #expect(message.contains("herald.yaml:5:3: error: problem 5"))
        #expect(!message.contains("problem 6"))
        #expect(message.hasSuffix("; and 3 more"))
        let long = PodEvents.reloadMessage([String(repeating: "x", count: 5000)])
        #expect(long.count == PodEvents.messageLimit)
        #expect(long.hasSuffix("…"))
    }
}
