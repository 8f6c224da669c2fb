import CHeraldPlugin
import HeraldCore
import HeraldTestSupport
import Logging
import Testing

@testable import HeraldPluginHost

/// Each call into a plugin instance is told to the observer (the status metrics' call histogram and failures) by its
/// kind, with the time spent in the plugin, and without the instance's lock held.
@Suite struct CallObserverTests {
    struct Call: Equatable {
        var instance: String
        var plugin: String
        var call: String
        var timed: Bool
        var failed: Bool
    }

    /// Records the calls; reads the instance from inside the callback, which would deadlock under its lock.
    final class Recorder: PluginCallObserver {
        let calls = Locked<[Call]>([])
        let instance = Locked<PluginInstance?>(nil)

        func pluginCall(instance: String, plugin: String, call: String, duration: Duration?, failed: Bool) {
            _ = self.instance.get()?.announced
            _ = self.instance.get()?.phase
            #expect(duration.map { $0 >= .zero && $0 < .seconds(5) } ?? true)
            calls.mutate {
                $0.append(
                    Call(instance: instance, plugin: plugin, call: call, timed: duration != nil, failed: failed))
            }
        }
    }

    @Test func callsAreToldByKindWithTheirDurationAndFailure() throws {
        let recorder = Recorder()
        let instance = try PluginInstance(
            name: "timed", library: try CallDeadlineTests.fixture("timed"), logger: Logger(label: "test"),
            calls: recorder)
        recorder.instance.set(instance)
        try instance.configure(json: #"{"noLiveReconfigure":true}"#, node: LocalNode(name: "n"))
        try instance.start()
        try instance.announce(CallDeadlineTests.announcement)
        try instance.withdraw(id: "a1")
        _ = instance.observe(within: .seconds(5))
        #expect(throws: PluginCallError.self) {
            try instance.configure(json: #"{"noLiveReconfigure":true}"#, node: LocalNode(name: "n"))
        }
        instance.stop()
        recorder.instance.set(nil)
        let plugin = instance.info.id
        let calls = recorder.calls.get()
        // The fixture has no health or collect_metrics function: an observation calls nothing.
        let expected: [(String, Bool)] = [
            ("configure", false), ("start", false), ("announce", false), ("withdraw", false), ("configure", true),
            ("stop", false),
        ]
        #expect(calls.map(\.call) == expected.map(\.0))
        #expect(calls.map(\.failed) == expected.map(\.1))
        #expect(calls.allSatisfy { $0.instance == "timed" && $0.plugin == plugin && $0.timed })
    }

    @Test func aCallThatDoesNotReturnIsAFailureWithoutDuration() throws {
        let recorder = Recorder()
        let instance = try PluginInstance(
            name: "hung", library: try CallDeadlineTests.fixture("hungtimed"), logger: Logger(label: "test"),
            callDeadline: .milliseconds(300), calls: recorder)
        try instance.configure(json: #"{"hangInAnnounce":true}"#, node: LocalNode(name: "n"))
        try instance.start()
        #expect(throws: PluginCallError.self) { try instance.announce(CallDeadlineTests.announcement) }
        let announce = recorder.calls.get().filter { $0.call == "announce" }
        #expect(announce.map(\.timed) == [false])
        #expect(announce.map(\.failed) == [true])
    }
}
