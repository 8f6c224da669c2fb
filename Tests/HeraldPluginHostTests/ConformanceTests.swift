import Foundation
import HeraldCore
import HeraldTestSupport
import Logging
import Testing

@testable import HeraldPluginHost

/// The ABI conformance suite, run on every bundled plugin (as `herald conformance` runs it for plugin authors).
@Suite struct BundledPluginConformanceTests {
    static let bundled: [(library: String, config: String)] = [
        ("libherald-log.so", #"{"level":"debug"}"#),
        (
            "libherald-exec.so",
            #"{"announce":["/bin/echo","up"],"withdraw":"echo down $HERALD_ADDRESS","timeoutSeconds":5}"#
        ),
    ]

    @Test(arguments: bundled)
    func passesEveryCheck(library: String, config: String) throws {
        let path = try TestSupport.product(library)
        let loader = PluginLoader(searchPath: [])
        let loaded = try loader.load(path: path)
        let report = ConformanceSuite.run(library: loaded, configJSON: config)
        for check in report.checks where !check.passed {
            Issue.record("\(library): \(check)")
        }
        #expect(report.checks.count == 8)
        #expect(report.passed)
    }

    /// The bundled plugins export exactly one symbol.
    @Test(arguments: bundled.map(\.library))
    func exportsOnlyTheEntrySymbol(library: String) throws {
        let path = try TestSupport.product(library)
        let nm = try TestSupport.run(["/usr/bin/nm", "-D", "--defined-only", path])
        #expect(nm.status == 0, "nm failed: \(nm.stderr)")
        let symbols = nm.stdout.split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) ?? "" }
        #expect(symbols == ["herald_plugin_entry_v1"])
    }

    /// The exec plugin is plain C: it builds with a C compiler and the ABI header alone, and conforms that way too.
    @Test func execBuildsWithPlainCC() throws {
        let dir = try TestSupport.temporaryDirectory("herald-exec-cc")
        let sources = TestSupport.packageRoot.appendingPathComponent("Sources/Plugins/Exec").path
        try TestSupport.compilePlugin(
            source: "\(sources)/exec_plugin.c", output: "\(dir)/libexec-cc.so",
            extraArguments: ["\(sources)/exec_config.c", "-I", "\(sources)/include", "-I", sources, "-lyaml"])
        let loaded = try PluginLoader(searchPath: []).load(path: "\(dir)/libexec-cc.so")
        let report = ConformanceSuite.run(library: loaded, configJSON: BundledPluginConformanceTests.bundled[1].config)
        #expect(report.passed, "\(report.checks.filter { !$0.passed })")
        #expect(report.callbacks.fromPluginThreads > 0, "exec logs command output from its worker thread")
    }
}

/// Host callbacks are thread-safe, and the host serialises its own calls into an instance.
@Suite struct ThreadingTests {
    @Test func callbacksFromManyPluginThreadsAreAllAccountedFor() throws {
        let dir = try TestSupport.temporaryDirectory("herald-threads")
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: "\(dir)/libthreads.so")
        let library = try PluginLoader(searchPath: []).load(path: "\(dir)/libthreads.so")
        let events = Locked(0)
        let healthChanges = Locked(0)
        let instance = try PluginInstance(
            name: "threads", library: library, logger: Logger(label: "test"),
            onEvent: { _ in events.mutate { $0 += 1 } }, onHealth: { _, _ in healthChanges.mutate { $0 += 1 } })
        try instance.configure(json: #"{"threads":8}"#, node: LocalNode(name: "n"))
        try instance.start()
        instance.stop()  // joins the plugin's threads
        let counters = instance.context.counters
        // 8 threads x 200 lines: every line is either logged or counted by the rate limiter.
        #expect(counters.logLines + counters.suppressed == 1600)
        #expect(counters.logLines >= InstanceContext.logBurst)
        #expect(counters.suppressed > 0)
        #expect(counters.events == 1600)
        #expect(events.get() == 1600)
        #expect(healthChanges.get() > 0)
        #expect(instance.context.pushedHealth == PluginHealth(.ok))
        instance.destroy()
    }

    @Test func concurrentHostCallsAreSerialised() throws {
        let dir = try TestSupport.temporaryDirectory("herald-serial")
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: "\(dir)/libserial.so")
        let library = try PluginLoader(searchPath: []).load(path: "\(dir)/libserial.so")
        let record = "\(dir)/calls"
        let instance = try PluginInstance(name: "serial", library: library, logger: Logger(label: "test"))
        try instance.configure(json: "{\"record\":\"\(record)\"}", node: LocalNode(name: "n"))
        try instance.start()
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            let a = PlannedAnnouncement(
                id: "id-\(i)", address: .v4(IPv4Address(UInt32(0xC000_0200) + UInt32(i))), prefixLength: 32,
                services: [ServiceID(namespace: "ns", name: "s\(i)")], advertisement: "ad")
            do { try instance.announce(a) } catch { failures.mutate { $0 += 1 } }
            if i % 2 == 0 {
                do { try instance.withdraw(id: "id-\(i)") } catch { failures.mutate { $0 += 1 } }
            }
        }
        #expect(failures.get() == 0)
        #expect(instance.announced.count == 100)
        instance.destroy()
        let lines = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("announce ") }.count == 200)
        // 100 withdrawn during the run, 100 more by stop.
        #expect(lines.filter { $0.hasPrefix("withdraw ") }.count == 200)
        #expect(lines.suffix(2) == ["stop", "destroy"])
    }

    @Test func callsInTheWrongPhaseAreRefusedByTheHost() throws {
        let dir = try TestSupport.temporaryDirectory("herald-phase")
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: "\(dir)/libphase.so")
        let library = try PluginLoader(searchPath: []).load(path: "\(dir)/libphase.so")
        let instance = try PluginInstance(name: "phase", library: library, logger: Logger(label: "test"))
        let a = PlannedAnnouncement(
            id: "x", address: .v4(.init(192, 0, 2, 1)), prefixLength: 32, services: [], advertisement: "ad")
        #expect(
            throws: PluginCallError(
                instance: "phase", call: "announce 192.0.2.1/32", status: -3, message: "the instance is created")
        ) {
            try instance.announce(a)
        }
        instance.destroy()
        #expect(
            throws: PluginCallError(instance: "phase", call: "start", status: -3, message: "the instance is destroyed")
        ) {
            try instance.start()
        }
    }
}
