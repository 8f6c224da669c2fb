import CHeraldPlugin
import Foundation
import HeraldCore
import HeraldTestSupport
import Logging
import Testing

@testable import HeraldPluginHost

/// No lock is held across a call into a plugin, and every call has a deadline (issue: Herald never hangs).
@Suite struct CallDeadlineTests {
    static func fixture(_ label: String) throws -> PluginLibrary {
        let dir = try TestSupport.temporaryDirectory("herald-\(label)")
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: "\(dir)/lib\(label).so")
        return try PluginLoader(searchPath: []).load(path: "\(dir)/lib\(label).so")
    }

    static let announcement = PlannedAnnouncement(
        id: "a1", address: .v4(.init(192, 0, 2, 1)), prefixLength: 32, services: ["web/front"], advertisement: "ad")

    /// Runs `body` on a thread of its own and says whether it returned within `limit` (a deadlock fails the test
    /// instead of hanging the suite).
    static func returns(within limit: Duration, _ body: @escaping @Sendable () -> Void) -> Bool {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            body()
            done.signal()
        }
        return done.wait(timeout: .now() + .milliseconds(Int(limit.components.seconds * 1000))) == .success
    }

    /// The plugin's stop joins a thread that emits an event about an announcement; the host's event handler reads
    /// what the instance announces (as the runtime's relay does). Stop held the instance's lock across the plugin
    /// call, so the handler waited for stop and stop for the handler: SIGTERM and reloads never finished.
    @Test func anEventDuringStopThatReadsTheInstanceDoesNotDeadlock() throws {
        let library = try Self.fixture("stopevent")
        let slot = Locked<PluginInstance?>(nil)
        let seen = Locked<[String]>([])
        let instance = try PluginInstance(
            name: "stopevent", library: library, logger: Logger(label: "test"),
            onEvent: { event in
                let services = event.announcementID.flatMap { slot.get()?.announced[$0]?.services } ?? []
                seen.mutate { $0.append("\(event.reason) \(services)") }
            })
        slot.set(instance)
        try instance.configure(json: #"{"eventOnStop":true}"#, node: LocalNode(name: "n"))
        try instance.start()
        try instance.announce(Self.announcement)
        let finished = Self.returns(within: .seconds(10)) { instance.stop() }
        #expect(finished, "stop did not return: the event handler and stop wait for each other")
        #expect(seen.get().count == 1)
        slot.set(nil)
    }

    /// An announce that never returns fails at the deadline; the instance is failed and hung; every later call fails
    /// at once; health and metrics answer without waiting; stop and destroy return at once; no thread grows.
    @Test func aHungAnnounceFailsTheInstanceAtItsDeadline() throws {
        let library = try Self.fixture("hang")
        let healthReports = Locked<[PluginHealth]>([])
        let instance = try PluginInstance(
            name: "hang", library: library, logger: Logger(label: "test"), callDeadline: .milliseconds(300),
            onHealth: { _, health in healthReports.mutate { $0.append(health) } })
        try instance.configure(json: #"{"hangInAnnounce":true}"#, node: LocalNode(name: "n"))
        try instance.start()
        let start = ContinuousClock.now
        var failure: PluginCallError?
        do { try instance.announce(Self.announcement) } catch { failure = error }
        let took = ContinuousClock.now - start
        #expect(failure?.status == HERALD_ERR_INTERNAL)
        #expect(failure?.message.contains("did not return within 0.3 s") == true, "\(String(describing: failure))")
        #expect(took >= .milliseconds(300) && took < .seconds(2), "announce returned after \(took)")
        #expect(instance.hung?.call == "announce 192.0.2.1/32")
        #expect(instance.phase == .failed)
        #expect(instance.announced.isEmpty)
        #expect(healthReports.get().last?.state == .unhealthy)

        #expect(Self.threads(named: "herald:hang") == 1)
        let quick = ContinuousClock.now
        #expect(throws: PluginCallError.self) { try instance.withdraw(id: "a1") }
        for _ in 0..<100 {
            #expect(instance.observe(within: .seconds(1)).health?.state == .unhealthy)
        }
        #expect(instance.health().state == .unhealthy)
        #expect(ContinuousClock.now - quick < .milliseconds(200), "calls on a hung instance must fail at once")
        #expect(Self.returns(within: .seconds(2)) { instance.destroy() }, "destroy waited for the hung call")
        // The hung call keeps its one thread; nothing else was started for the calls that followed.
        #expect(Self.threads(named: "herald:hang") == 1)
    }

    /// A status reader never waits for a busy plugin: while an announce runs (and hangs), observe gives the last
    /// observation at once.
    @Test func observeDoesNotWaitForABusyPlugin() throws {
        let library = try Self.fixture("busy")
        let instance = try PluginInstance(
            name: "busy", library: library, logger: Logger(label: "test"), callDeadline: .seconds(3))
        try instance.configure(json: #"{"hangInAnnounce":true}"#, node: LocalNode(name: "n"))
        try instance.start()
        #expect(instance.observe(within: .seconds(1)).health?.state == .ok)
        Thread.detachNewThread { try? instance.announce(Self.announcement) }
        Thread.sleep(forTimeInterval: 0.2)
        let start = ContinuousClock.now
        for _ in 0..<100 { _ = instance.observe(within: .seconds(1)) }
        #expect(ContinuousClock.now - start < .milliseconds(200))
        #expect(instance.hung == nil)
    }

    /// The threads of this process with this name (the instance's call thread is named after it).
    static func threads(named name: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
            return comm?.trimmingCharacters(in: .whitespacesAndNewlines) == name
        }.count
    }
}
