import CHeraldPlugin
import Foundation
import HeraldCore
import HeraldTestSupport
import Logging
import Testing

@testable import HeraldPluginHost

/// A stop for a restart (`herald run --on-stop=restart`): the host asks each instance through its
/// `herald.lifecycle/1` extension whether it keeps its announcements through the stop, and withdraws only those of
/// the instances that do not. Recorded by the fixture plugin, call by call.
@Suite struct RestartStopTests {
    /// A started instance of the fixture with `options` (JSON members) announcing `a1`, recording into a file.
    static func started(
        _ label: String, options: String, deadline: Duration = .seconds(5)
    ) throws -> (
        PluginInstance, String
    ) {
        let record = try TestSupport.temporaryDirectory("herald-\(label)") + "/calls"
        let instance = try PluginInstance(
            name: label, library: try CallDeadlineTests.fixture(label), logger: Logger(label: "test"),
            callDeadline: deadline)
        try instance.configure(json: #"{"record":"\#(record)"\#(options)}"#, node: LocalNode(name: "n"))
        try instance.start()
        try instance.announce(CallDeadlineTests.announcement)
        return (instance, record)
    }

    static func calls(_ record: String) -> [String] {
        ((try? String(contentsOfFile: record, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func anInstanceThatKeepsItsAnnouncementsIsStoppedWithoutWithdrawing() throws {
        let (instance, record) = try Self.started("keeps", options: #","keepOnRestart":true"#)
        #expect(instance.prepareRestart())
        instance.stop()
        #expect(Self.calls(record).suffix(2) == ["prepare_stop restart", "stop"], "\(Self.calls(record))")
        #expect(!Self.calls(record).contains { $0.hasPrefix("withdraw") })
        #expect(instance.announced.isEmpty)
    }

    @Test func anInstanceThatDeclinesWithdrawsEverythingFirst() throws {
        let (instance, record) = try Self.started("declines", options: "")
        #expect(!instance.prepareRestart())
        instance.stop()
        #expect(
            Self.calls(record).suffix(3) == ["prepare_stop restart", "withdraw a1", "stop"], "\(Self.calls(record))")
    }

    @Test func aStopThatIsNotARestartAsksNothingAndWithdraws() throws {
        let (instance, record) = try Self.started("final", options: #","keepOnRestart":true"#)
        instance.stop()
        #expect(Self.calls(record).suffix(2) == ["withdraw a1", "stop"], "\(Self.calls(record))")
        #expect(!Self.calls(record).contains { $0.hasPrefix("prepare_stop") })
    }

    /// An exclusive instance's addresses move to another node as the host stops: one left announced would make two
    /// owners, so it is never asked to keep them, even by a plugin that would.
    @Test func anExclusiveInstanceIsNeverAskedAndWithdraws() throws {
        let record = try TestSupport.temporaryDirectory("herald-exclusive") + "/calls"
        let dir = try TestSupport.temporaryDirectory("herald-exclusive-lib")
        try TestSupport.compilePlugin(
            source: "fixture_plugin.c", output: "\(dir)/libexclusive.so", defines: ["FIXTURE_RECORDER"])
        let instance = try PluginInstance(
            name: "exclusive", library: try PluginLoader(searchPath: []).load(path: "\(dir)/libexclusive.so"),
            logger: Logger(label: "test"))
        try instance.configure(json: #"{"record":"\#(record)","keepOnRestart":true}"#, node: LocalNode(name: "n"))
        try instance.start()
        try instance.announce(CallDeadlineTests.announcement)
        #expect(instance.info.kind == .exclusive)
        #expect(!instance.prepareRestart())
        instance.stop()
        let calls = Self.calls(record).map { $0.split(separator: " ", maxSplits: 1).last.map(String.init) ?? $0 }
        #expect(calls.suffix(2) == ["withdraw a1", "stop"], "\(calls)")
        #expect(!calls.contains { $0.hasPrefix("prepare_stop") })
    }

    @Test func aPrepareStopThatHangsIsBoundedByTheCallDeadline() throws {
        let (instance, _) = try Self.started(
            "hangprepare", options: #","hangInPrepareStop":true"#, deadline: .milliseconds(300))
        let start = ContinuousClock.now
        #expect(!instance.prepareRestart())
        let took = ContinuousClock.now - start
        #expect(took < .seconds(2), "prepare_stop held the host for \(took)")
        #expect(instance.phase == .failed)
        // The hung instance is not called again: stop returns at once.
        #expect(CallDeadlineTests.returns(within: .seconds(2)) { instance.stop() })
    }
}
