import ArgumentParser
import Foundation
import HeraldCore
import HeraldPluginHost
import Logging

/// `herald measure-calls`: what a call into a plugin costs through the host's own call path (a call thread per
/// instance, a deadline on every call), loaded in the host and in a plugin runner, measured in one run so that the two
/// figures compare.
struct MeasureCalls: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure-calls",
        abstract: "Measure what announce and withdraw cost in a plugin, in the host and in a plugin runner.",
        discussion: """
            Loads LIBRARY in this process and in a plugin runner (isolation: process), starts one instance of each \
            with --config, announces --count addresses from 198.18.0.0/15 one after the other and withdraws them, \
            and prints per mode the p50 and p99 of one call, the time for all the announcements one by one and as \
            the reconcile loop makes them (one run of calls, which a plugin runner pipelines), and the ratios of the \
            plugin runner to the host. Nothing is sent to a network by the bundled log plugin; other plugins \
            do what they do on announce.
            """)

    @Argument(help: "The plugin library: a path, or a name searched on the plugin path.")
    var library: String = "herald-log"

    @Option(name: .long, help: "A configuration the plugin accepts, as a JSON object (default: {}).")
    var config: String = "{}"

    @Option(name: .long, help: "A folder to search for the library (repeatable).")
    var pluginPath: [String] = []

    @Option(name: .long, help: "How many addresses to announce and withdraw per mode (1–131072).")
    var count: Int = 10_000

    @Option(name: .long, help: "Rounds per mode; the figures are the best round's (default 3).")
    var rounds: Int = 3

    func validate() throws {
        guard (1...131_072).contains(count) else { throw ValidationError("--count must be 1–131072; got \(count)") }
        guard (1...20).contains(rounds) else { throw ValidationError("--rounds must be 1–20; got \(rounds)") }
        let object = config.data(using: .utf8).flatMap { try? JSONSerialization.jsonObject(with: $0) }
        guard object is [String: Any] else {
            throw ValidationError("--config must be a JSON object; got: \(config)")
        }
    }

    /// One mode's figures: microseconds per call, seconds for the whole set.
    struct Figures {
        var announceP50: Double
        var announceP99: Double
        var withdrawP50: Double
        var withdrawP99: Double
        /// Every address, one call after the other, each waited for.
        var announceAll: Double
        var withdrawAll: Double
        /// Every address in one run of calls, as the reconcile loop makes them (a plugin runner pipelines a run).
        var runAnnounce: Double
        var runWithdraw: Double

        var line: String {
            String(
                format: "announce p50 %.1f µs p99 %.1f µs, withdraw p50 %.1f µs p99 %.1f µs; "
                    + "all announcements one by one %.3f s, all withdrawals %.3f s; "
                    + "as the reconcile loop makes them: announcements %.3f s, withdrawals %.3f s",
                announceP50, announceP99, withdrawP50, withdrawP99, announceAll, withdrawAll, runAnnounce, runWithdraw)
        }
    }

    func run() throws {
        var logger = Logger(label: "herald.measure")
        logger.logLevel = .warning
        let loader = PluginLoader(searchPath: PluginLoader.defaultSearchPath(extra: pluginPath))
        let path: String
        do {
            path = PluginLoader.canonical(try loader.resolve(library, baseDirectory: nil))
            try PluginLoader.checkFile(path)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        var results: [(String, Figures)] = []
        for mode in ["inProcess", "process"] {
            let loaded: PluginLibrary
            do {
                loaded =
                    mode == "process"
                    ? try PluginRunnerLink.launch(
                        path: path, label: "measure", logger: logger, closeWithLastInstance: false)
                    : try loader.load(path: path)
            } catch {
                printError("error: \(mode): \(error)")
                throw ExitCode(1)
            }
            defer { loaded.runner?.close() }
            var best: Figures?
            for _ in 0..<rounds {
                let figures = try measure(loaded, logger: logger, mode: mode)
                if best == nil || figures.runAnnounce < best!.runAnnounce { best = figures }
            }
            print("\(mode): \(best!.line)")
            results.append((mode, best!))
        }
        let (host, runner) = (results[0].1, results[1].1)
        print(
            String(
                format: "process / inProcess: %.2f× for all %d announcements as the reconcile loop makes them "
                    + "(%.2f× one by one), %.2f× for the withdrawals, %.2f× announce p50, %.2f× withdraw p50",
                runner.runAnnounce / host.runAnnounce, count, runner.announceAll / host.announceAll,
                runner.runWithdraw / host.runWithdraw, runner.announceP50 / host.announceP50,
                runner.withdrawP50 / host.withdrawP50))
    }

    func measure(_ library: PluginLibrary, logger: Logger, mode: String) throws -> Figures {
        let instance: PluginInstance
        do {
            instance = try PluginInstance(name: "measure", library: library, logger: logger)
            try instance.configure(json: config, node: LocalNode(name: "measure-node"))
            try instance.start()
        } catch {
            printError("error: \(mode): \(error)")
            throw ExitCode(1)
        }
        defer {
            instance.stop()
            instance.destroy()
        }
        let announcements = (0..<count).map { i in
            let address = "198.\(18 + i >> 16).\((i >> 8) & 255).\(i & 255)"
            return PlannedAnnouncement(
                id: "measure/\(address)/32", address: IPAddress(address)!, prefixLength: 32,
                services: [ServiceID(namespace: "measure", name: "svc-\(i)")], attributesJSON: "{}",
                advertisement: "measure")
        }
        var announceTimes: [Double] = []
        var withdrawTimes: [Double] = []
        announceTimes.reserveCapacity(count)
        withdrawTimes.reserveCapacity(count)
        let clock = ContinuousClock()
        do {
            let announceStart = clock.now
            for announcement in announcements {
                let start = clock.now
                try instance.announce(announcement)
                announceTimes.append(Self.microseconds(clock.now - start))
            }
            let announceAll = clock.now - announceStart
            let withdrawStart = clock.now
            for announcement in announcements {
                let start = clock.now
                try instance.withdraw(id: announcement.id)
                withdrawTimes.append(Self.microseconds(clock.now - start))
            }
            let withdrawAll = clock.now - withdrawStart
            // All of them again as the reconcile loop makes them: one run of calls (which a plugin runner pipelines).
            let batchStart = clock.now
            if let failure = instance.announce(all: announcements).compactMap({ $0 }).first { throw failure }
            let batchAnnounce = clock.now - batchStart
            let batchWithdrawStart = clock.now
            if let failure = instance.withdraw(all: announcements.map(\.id)).compactMap({ $0 }).first {
                throw failure
            }
            let batchWithdraw = clock.now - batchWithdrawStart
            announceTimes.sort()
            withdrawTimes.sort()
            return Figures(
                announceP50: Self.percentile(announceTimes, 0.50), announceP99: Self.percentile(announceTimes, 0.99),
                withdrawP50: Self.percentile(withdrawTimes, 0.50), withdrawP99: Self.percentile(withdrawTimes, 0.99),
                announceAll: Self.microseconds(announceAll) / 1e6, withdrawAll: Self.microseconds(withdrawAll) / 1e6,
                runAnnounce: Self.microseconds(batchAnnounce) / 1e6, runWithdraw: Self.microseconds(batchWithdraw) / 1e6
            )
        } catch {
            printError("error: \(mode): \(error)")
            throw ExitCode(1)
        }
    }

    static func microseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
    }

    /// The value at `p` of sorted values (nearest rank).
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }
}
