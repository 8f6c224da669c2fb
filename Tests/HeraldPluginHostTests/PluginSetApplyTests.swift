import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldCore
import HeraldTestSupport
import Logging
import Testing

@testable import HeraldPluginHost

/// A running set takes a new plugins.d: new instances start, removed ones withdraw and stop, changed configs are
/// applied live or by a restart, and a bad file is refused while everything else keeps running.
@Suite struct PluginSetApplyTests {
    let dir: String
    let libs: String
    let loader: PluginLoader

    init() throws {
        dir = try TestSupport.temporaryDirectory("herald-apply")
        libs = try TestSupport.temporaryDirectory("herald-apply-libs")
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: "\(libs)/libfixture.so")
        loader = PluginLoader(searchPath: [libs, TestSupport.productsDirectory.path])
    }

    func entries(_ files: [String: String]) -> [PluginDirectory.Entry] {
        files.keys.sorted().map { PluginDirectory.Entry(file: "\(dir)/\($0)", text: files[$0]!) }
    }

    func record(_ name: String) -> String { "\(dir)/\(name).record" }

    func lines(_ name: String) -> [String] {
        ((try? String(contentsOfFile: record(name), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func fixture(_ name: String, _ extra: String = "") -> String {
        "name: \(name)\nlibrary: fixture\nconfig: {record: \"\(record(name))\"\(extra)}\n"
    }

    static func announcement(_ address: String) -> PlannedAnnouncement {
        PlannedAnnouncement(
            id: "ad/\(address)/32", address: IPAddress(address)!, prefixLength: 32, services: ["s/v"],
            advertisement: "ad")
    }

    func startAll(_ set: PluginSet) throws {
        for instance in set.instances { try instance.start() }
    }

    @Test func appliesAdditionsRemovalsAndChanges() throws {
        let set = PluginSet.make(
            entries: entries([
                "10-keep.yaml": fixture("keep"),
                "20-live.yaml": fixture("live", ", tag: \"one\""),
                "30-gone.yaml": fixture("gone"),
                "40-stiff.yaml": fixture("stiff", ", noLiveReconfigure: true, tag: \"one\""),
                "50-log.yaml": "name: log\nlibrary: herald-log\nconfig: {level: info}\n",
            ]), directory: dir, loader: loader, node: LocalNode(name: "n"), logger: Logger(label: "test"))
        #expect(set.problems.isEmpty, "\(set.problems)")
        try startAll(set)
        for name in ["gone", "stiff", "log"] {
            try set.instance(named: name)!.announce(Self.announcement("192.0.2.1"))
        }
        let oldLog = set.instance(named: "log")!
        let oldStiff = set.instance(named: "stiff")!

        let report = set.apply(
            entries([
                "10-keep.yaml": fixture("keep"),
                "20-live.yaml": fixture("live", ", tag: \"two\""),
                "40-stiff.yaml": fixture("stiff", ", noLiveReconfigure: true, tag: \"two\""),
                "50-log.yaml": "name: log\nlibrary: herald-log\nconfig: {level: debug}\n",
                "60-new.yaml": fixture("new"),
            ]), directory: dir)

        #expect(report.started == ["new"])
        #expect(report.reconfigured == ["live"])
        #expect(report.restarted == ["stiff", "log"])
        #expect(report.stopped == ["gone"])
        #expect(report.unchanged == ["keep"])
        #expect(report.refused.isEmpty)
        #expect(report.problems.isEmpty)
        #expect(
            report.description == "started new; reconfigured live; restarted stiff, log; stopped gone; unchanged keep")
        #expect(set.instances.map(\.name) == ["keep", "live", "stiff", "log", "new"])
        #expect(set.instances.allSatisfy { $0.phase == .started })
        // Removed: everything withdrawn, stopped, destroyed.
        #expect(lines("gone").suffix(3) == ["withdraw ad/192.0.2.1/32", "stop", "destroy"])
        // Live: the same instance took the new config.
        #expect(lines("live").filter { $0.hasPrefix("tag") } == ["tag one", "tag two"])
        // Restarted: the old instance stopped before the new one started; the new one announces what the old did.
        #expect(oldStiff.phase == .destroyed && oldLog.phase == .destroyed)
        let announced = "announce ad/192.0.2.1/32 192.0.2.1/32 services=1"
        #expect(
            lines("stiff") == [
                "configure node=n", "tag one", "start", announced,
                // The new instance is made, the old one withdraws and stops, the new one starts and takes over.
                "configure node=n", "tag two", "withdraw ad/192.0.2.1/32", "stop", "start", announced, "destroy",
            ])
        #expect(set.instance(named: "stiff")!.announced.keys.sorted() == ["ad/192.0.2.1/32"])
        #expect(set.instance(named: "log")!.announced.keys.sorted() == ["ad/192.0.2.1/32"])
        #expect(set.instance(named: "log")! !== oldLog)
        // New: created, configured and started.
        #expect(lines("new") == ["configure node=n", "start"])
        set.shutdown()
        #expect(set.instances.allSatisfy { $0.phase == .destroyed })
    }

    @Test func aBadFileIsRefusedAndTheRestKeepsRunning() throws {
        let set = PluginSet.make(
            entries: entries([
                "10-a.yaml": fixture("a"),
                "20-b.yaml": fixture("b", ", tag: \"one\""),
                "30-c.yaml": fixture("c"),
            ]), directory: dir, loader: loader, node: LocalNode(name: "n"), logger: Logger(label: "test"))
        try startAll(set)
        try set.instance(named: "b")!.announce(Self.announcement("192.0.2.2"))
        let report = set.apply(
            entries([
                "10-a.yaml": "name: a\nlibrary: fixture\nconfg: {}\n",
                "20-b.yaml": fixture("b", ", fail: true"),
                "30-c.yaml": "name: c\nlibrary: nowhere\n",
                "40-d.yaml": "name: d\nlibrary: [broken\n",
            ]), directory: dir)
        #expect(report.refused == ["a", "b", "c"])
        #expect(report.stopped.isEmpty && report.started.isEmpty && report.restarted.isEmpty)
        #expect(set.instances.map(\.name) == ["a", "b", "c"])
        #expect(set.instances.allSatisfy { $0.phase == .started })
        #expect(set.instance(named: "b")!.announced.count == 1)
        let problems = report.problems.map(\.description)
        // The plugin names config.fail: the problem points at that value.
        let failColumn = "config: {record: \"\(record("b"))\", fail: ".count + 1
        #expect(problems.count == 4)
        #expect(
            problems.contains(
                "\(dir)/10-a.yaml:3:1: error: unknown key \"confg\" in the plugin instance (did you mean \"config\"?)"))
        #expect(
            problems.contains(
                "\(dir)/20-b.yaml:3:\(failColumn): error: instance \"b\": configure failed (configuration rejected): config.fail: "
                    + "asked to fail; the instance keeps running with its previous config"))
        #expect(
            problems.contains(
                "\(dir)/30-c.yaml:2:10: error: instance \"c\": plugin library \"nowhere\" not found (searched: \(libs), "
                    + "\(TestSupport.productsDirectory.path))"))
        #expect(problems.contains { $0.hasPrefix("\(dir)/40-d.yaml:3:1: error: invalid YAML:") })
        #expect(set.problems.count == 4)
        #expect(!lines("b").contains("stop"))
        set.shutdown()
    }
}
