import CHeraldPlugin
import Foundation
import HeraldCore
import HeraldTestSupport
import Logging
import Testing

@testable import HeraldPluginHost

/// `isolation: process`: a plugin loaded by a plugin runner child (`herald plugin-runner`) behaves as one loaded in the
/// host (the conformance suite passes through the runner), and a plugin that aborts, faults, hangs, leaks or closes
/// every descriptor ends its runner only: the host and its other instances go on, the instance is unhealthy with the
/// reason and an Event, and the runner restarts and takes announcements again.
@Suite(.serialized) struct ProcessIsolationTests {
    static func fixture(_ label: String) throws -> String {
        let dir = try TestSupport.temporaryDirectory("herald-runner-\(label)")
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: "\(dir)/lib\(label).so")
        return "\(dir)/lib\(label).so"
    }

    static func launch(
        _ path: String, limits: PluginRunnerLink.Limits = .init(), closing: Bool = true
    ) throws
        -> PluginLibrary
    {
        try PluginRunnerLink.launch(
            path: path, label: "test", limits: limits, logger: Logger(label: "test"), closeWithLastInstance: closing)
    }

    static func announcement(_ address: IPv4Address, id: String? = nil) -> PlannedAnnouncement {
        PlannedAnnouncement(
            id: id ?? "a-\(address)", address: .v4(address), prefixLength: 32, services: ["web/front"],
            advertisement: "ad")
    }

    /// Polls `condition` every 20 ms for at most `timeout`.
    static func eventually(_ timeout: Duration, _ condition: () -> Bool) -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition()
    }

    /// This process's resident set, bytes (from /proc/self/statm).
    static func residentBytes() -> Int {
        let text = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static let bundled: [(library: String, config: String)] = [
        ("libherald-log.so", #"{"level":"debug"}"#),
        (
            "libherald-exec.so",
            #"{"announce":["/bin/echo","up"],"withdraw":"echo down $HERALD_ADDRESS","timeoutSeconds":5}"#
        ),
        ("libherald-arp.so", "{}"),
        ("libherald-ndp.so", "{}"),
        (
            "libherald-bgp.so",
            #"{"myASN":64512,"routerID":"192.0.2.1","peers":[{"address":"127.0.0.1","asn":64513,"port":1}]}"#
        ),
    ]

    @Test(arguments: bundled)
    func everyBundledPluginPassesTheConformanceSuiteThroughTheRunner(library: String, config: String) throws {
        let loaded = try Self.launch(try TestSupport.product(library), closing: false)
        defer { loaded.runner?.close() }
        #expect(loaded.runner?.pid ?? 0 > 0)
        let report = ConformanceSuite.run(library: loaded, configJSON: config)
        for check in report.checks where !check.passed { Issue.record("\(library) in a runner: \(check)") }
        #expect(report.checks.count == 8)
        #expect(report.passed)
        #expect(loaded.runner?.exits == 0)
    }

    /// The plain-C fixture, written from the header alone, with its plugin threads calling every host callback.
    @Test func thePlainCPluginPassesThroughTheRunnerWithCallbacksFromItsThreads() throws {
        let loaded = try Self.launch(try Self.fixture("plainc"), closing: false)
        defer { loaded.runner?.close() }
        let report = ConformanceSuite.run(library: loaded, configJSON: #"{"threads":4}"#)
        for check in report.checks where !check.passed && check.level == .required {
            Issue.record("fixture in a runner: \(check)")
        }
        #expect(report.passed)
        // Events are neither rate-limited nor deduplicated by the host: every one of the 4 × 200 arrives.
        #expect(report.callbacks.events == 800, "\(report.callbacks)")
        #expect(report.callbacks.logs > 0 && report.callbacks.healthReports > 0, "\(report.callbacks)")
    }

    enum Fault: String, CaseIterable, Sendable {
        case abort = "abortInAnnounce"
        case segfault = "segfaultInAnnounce"
        case closeDescriptors = "closeDescriptorsInAnnounce"
        case hang = "hangInAnnounce"
    }

    /// The faulty instance runs in a runner next to a healthy instance in the host. The fault (on one address only)
    /// ends the runner: the host and the healthy instance's announcements are untouched, the faulty instance fails
    /// its call, is unhealthy with the reason and an Event, announces nothing; its runner restarts within the backoff,
    /// becomes healthy again, and announces other addresses.
    @Test(arguments: Fault.allCases)
    func aFaultEndsTheRunnerOnlyAndTheRunnerRestarts(fault: Fault) throws {
        let path = try Self.fixture("fault-\(fault)")
        let record = path + ".record"
        let events = Locked<[PluginEvent]>([])
        let healths = Locked<[PluginHealth]>([])
        let faulty = try PluginInstance(
            name: "faulty", library: try Self.launch(path), logger: Logger(label: "test"),
            callDeadline: .milliseconds(500), onEvent: { event in events.mutate { $0.append(event) } },
            onHealth: { _, health in healths.mutate { $0.append(health) } })
        defer { faulty.destroy() }
        let healthy = try PluginInstance(
            name: "healthy", library: try PluginLoader(searchPath: []).load(path: try Self.fixture("healthy")),
            logger: Logger(label: "test"))
        defer { healthy.destroy() }
        try healthy.configure(json: "{}", node: LocalNode(name: "n"))
        try healthy.start()
        try healthy.announce(Self.announcement(IPv4Address(192, 0, 2, 10)))

        try faulty.configure(
            json: #"{"record":"\#(record)","\#(fault.rawValue)":true,"faultAddress":"192.0.2.66"}"#,
            node: LocalNode(name: "n"))
        try faulty.start()
        try faulty.announce(Self.announcement(IPv4Address(192, 0, 2, 1)))
        let runner = try #require(faulty.library.runner)
        let firstPID = runner.pid
        #expect(faulty.announced.count == 1)

        let began = ContinuousClock.now
        var failure: PluginCallError?
        do { try faulty.announce(Self.announcement(IPv4Address(192, 0, 2, 66))) } catch { failure = error }
        let took = ContinuousClock.now - began
        #expect(failure?.status == HERALD_ERR_IO, "\(String(describing: failure))")
        let expected: String =
            switch fault {
            case .abort: "SIGABRT"
            case .segfault: "SIGSEGV"
            // The runner exits (77) when its socket fails, or is killed when the host sees the socket close first.
            case .closeDescriptors: "status 77"
            case .hang: "did not return within 0.5 s"
            }
        let message = failure?.message ?? ""
        #expect(
            message.contains(expected)
                || (fault == .closeDescriptors && message.contains("its protocol socket closed while it ran")),
            "\(String(describing: failure))")
        #expect(took < .seconds(2), "the failed announce returned after \(took)")
        #expect(faulty.hung == nil, "a runner's hang kills the runner; the instance is not left hung")
        #expect(Self.eventually(.seconds(2)) { faulty.announced.isEmpty }, "the dead runner's announcements remain")
        #expect(Self.eventually(.seconds(2)) { healths.get().contains { $0.state == .unhealthy } })
        #expect(Self.eventually(.seconds(2)) { events.get().contains { $0.reason == "PluginRunnerExited" } })
        let exited = events.get().first { $0.reason == "PluginRunnerExited" }
        #expect(exited?.warning == true)
        #expect(exited?.message.contains("announce 192.0.2.66/32") == true, "\(String(describing: exited))")
        if fault == .abort || fault == .segfault {
            // Where the core went (kernel.core_pattern), or why there is none.
            let core = exited?.message ?? ""
            #expect(
                core.contains("core dumped in /") || core.contains("core dumped handed to")
                    || core.contains("no core dump"), "\(core)")
        }
        #expect(faulty.health(within: .milliseconds(200)).state == .unhealthy)

        // The host and the other instance are untouched.
        #expect(healthy.phase == .started)
        #expect(healthy.announced.count == 1)
        #expect(healthy.health().state == .ok)

        // The runner restarts (after 1 s), healthy, and takes announcements again.
        #expect(
            Self.eventually(.seconds(5)) { events.get().contains { $0.reason == "PluginRunnerRestarted" } },
            "no restart: \(events.get().map(\.reason))")
        #expect(runner.pid != 0 && runner.pid != firstPID)
        #expect(runner.exits == 1)
        #expect(healths.get().last?.state == .ok, "\(healths.get())")
        #expect(faulty.phase == .started)
        try faulty.announce(Self.announcement(IPv4Address(192, 0, 2, 2)))
        #expect(faulty.announced.count == 1)
        let lines = (try? String(contentsOfFile: record, encoding: .utf8)) ?? ""
        #expect(lines.components(separatedBy: "\n").filter { $0 == "start" }.count == 2, "\(lines)")
        #expect(lines.contains("announce a-192.0.2.2 192.0.2.2/32"), "\(lines)")
    }

    /// A run of calls (as the reconcile loop makes them) is pipelined through the runner: every call is made, in
    /// order, and recorded as announced; withdrawn the same way, nothing is left.
    @Test func aRunOfCallsIsPipelinedInOrder() throws {
        let path = try Self.fixture("pipelined")
        let record = path + ".record"
        let instance = try PluginInstance(name: "p", library: try Self.launch(path), logger: Logger(label: "test"))
        defer { instance.destroy() }
        try instance.configure(json: #"{"record":"\#(record)"}"#, node: LocalNode(name: "n"))
        try instance.start()
        let run = (0..<300).map { Self.announcement(IPv4Address(10, 1, UInt8($0 >> 8), UInt8($0 & 255))) }
        let failures = instance.announce(all: run)
        #expect(failures.count == 300)
        #expect(failures.allSatisfy { $0 == nil }, "\(failures.compactMap { $0 }.prefix(3))")
        #expect(instance.announced.count == 300)
        let lines = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n")
        let announced = lines.filter { $0.hasPrefix("announce ") }.map { $0.split(separator: " ")[1] }
        #expect(announced == run.map { Substring($0.id) }, "the runner made the calls out of order")
        #expect(instance.withdraw(all: run.map(\.id)).allSatisfy { $0 == nil })
        #expect(instance.announced.isEmpty)
    }

    /// A call that hangs in the middle of a pipelined run has the call deadline as a single call has: the calls
    /// before it are announced, it fails with the deadline, the ones queued behind it fail with the runner's end (which
    /// names the hung call, not the last one sent), and the runner restarts.
    @Test func aHangInAPipelinedRunIsBoundedByTheCallDeadline() throws {
        let path = try Self.fixture("pipelined-hang")
        let events = Locked<[PluginEvent]>([])
        let instance = try PluginInstance(
            name: "p", library: try Self.launch(path), logger: Logger(label: "test"),
            callDeadline: .milliseconds(500), onEvent: { event in events.mutate { $0.append(event) } })
        defer { instance.destroy() }
        try instance.configure(
            json: #"{"hangInAnnounce":true,"faultAddress":"10.2.0.100"}"#, node: LocalNode(name: "n"))
        try instance.start()
        let run = (0..<200).map { Self.announcement(IPv4Address(10, 2, 0, UInt8($0))) }
        let began = ContinuousClock.now
        let failures = instance.announce(all: run)
        let took = ContinuousClock.now - began
        #expect(took < .seconds(2), "the run returned after \(took)")
        #expect(failures[..<100].allSatisfy { $0 == nil })
        #expect(
            failures[100]?.message.contains("did not return within 0.5 s") == true,
            "\(String(describing: failures[100]))")
        #expect(failures[101...].allSatisfy { $0?.status == HERALD_ERR_IO }, "\(String(describing: failures[101]))")
        #expect(Self.eventually(.seconds(2)) { events.get().contains { $0.reason == "PluginRunnerExited" } })
        let exited = events.get().first { $0.reason == "PluginRunnerExited" }
        #expect(exited?.message.contains("during announce 10.2.0.100/32") == true, "\(String(describing: exited))")
        #expect(Self.eventually(.seconds(2)) { instance.announced.isEmpty })
        #expect(
            Self.eventually(.seconds(5)) { events.get().contains { $0.reason == "PluginRunnerRestarted" } },
            "no restart: \(events.get().map(\.reason))")
        #expect(instance.announce(all: [Self.announcement(IPv4Address(10, 2, 1, 1))]) == [nil])
    }

    /// A plugin that leaks 100 MiB a second in a runner limited to 256 MiB: the runner ends at its limit (within a
    /// few seconds), the host does not grow, and the runner restarts.
    @Test func aLeakEndsAtTheRunnersMemoryLimit() throws {
        let path = try Self.fixture("leak")
        let events = Locked<[PluginEvent]>([])
        let instance = try PluginInstance(
            name: "leak", library: try Self.launch(path, limits: .init(memoryBytes: 256 << 20)),
            logger: Logger(label: "test"), onEvent: { event in events.mutate { $0.append(event) } })
        defer { instance.destroy() }
        let rssBefore = Self.residentBytes()
        try instance.configure(json: #"{"leakMiBPerSecond":100}"#, node: LocalNode(name: "n"))
        try instance.start()
        let began = ContinuousClock.now
        #expect(
            Self.eventually(.seconds(15)) { events.get().contains { $0.reason == "PluginRunnerExited" } },
            "the leaking runner did not end")
        print("measurement: runner_leak_end_seconds \(ContinuousClock.now - began)")
        let exited = events.get().first { $0.reason == "PluginRunnerExited" }
        #expect(exited?.message.contains("SIGABRT") == true, "\(String(describing: exited))")
        let grown = Self.residentBytes() - rssBefore
        #expect(grown < 64 << 20, "the host grew by \(grown >> 20) MiB")
    }

    /// A runner keeps only the capabilities its instance is given, from before the plugin is loaded: none for a
    /// third-party plugin by default, NET_RAW for herald-arp, and none can be regained (no_new_privs). The tests run
    /// as root, which holds every capability, so what is missing was dropped.
    @Test func theRunnerKeepsOnlyTheCapabilitiesItIsGiven() throws {
        #expect(getuid() == 0, "this test needs root (the test command runs as root)")
        let cases: [(String, RunnerCapabilities, UInt64)] = [
            (try Self.fixture("nocaps"), RunnerCapabilities(mask: 0), 0),
            (
                try TestSupport.product("libherald-arp.so"), RunnerCapabilities.bundledDefault(library: "herald-arp")!,
                1 << 13
            ),
            (
                try Self.fixture("somecaps"), RunnerCapabilities(names: ["NET_ADMIN", "CAP_NET_BIND_SERVICE"])!,
                1 << 12 | 1 << 10
            ),
        ]
        for (path, capabilities, expected) in cases {
            let library = try Self.launch(path, limits: .init(capabilities: capabilities), closing: false)
            defer { library.runner?.close() }
            let pid = try #require(library.runner?.pid)
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            func field(_ name: String) -> UInt64? {
                let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                return line.flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) }
            }
            for set in ["CapEff", "CapPrm", "CapInh", "CapBnd"] {
                let value = field(set)
                #expect(value == (set == "CapInh" ? value.map { $0 & expected } : expected), "\(path) \(set)")
            }
            #expect(field("CapAmb") == 0, "\(path)")
            #expect(field("NoNewPrivs") == 1, "\(path)")
        }
        // Without capabilities in the limits, the runner keeps what the host has.
        let all = try Self.launch(try Self.fixture("allcaps"), closing: false)
        defer { all.runner?.close() }
        let status = try String(contentsOfFile: "/proc/\(try #require(all.runner?.pid))/status", encoding: .utf8)
        #expect(status.contains("NoNewPrivs:\t0"), "\(status)")
    }

    /// The protocol's frames survive a round trip; every cut or corrupted frame is refused, never trapped on.
    @Test func framesRoundTripAndMalformedOnesAreRefused() throws {
        let messages: [RunnerMessage] = [
            .hello(.init(library: "/x/liba.so", memoryLimit: 1 << 30, fileLimit: 64)),
            .call(
                sequence: 7, instance: 2,
                .configure(
                    json: #"{"a":1}"#,
                    node: RunnerNode(name: "n", labels: [RunnerPair(key: "k", value: "v")], addresses: ["192.0.2.1"]))),
            .call(
                sequence: 8, instance: 2,
                .announce(
                    RunnerAnnouncement(
                        id: "a1", family: 6, prefixLength: 128, address: Array(repeating: 1, count: 16),
                        addressText: "2001:db8::1", services: ["ns/a", "ns/b"], attributesJSON: "{}",
                        advertisement: "ad"))),
            .call(sequence: 9, instance: 2, .withdraw(id: "a1")),
            .reply(
                sequence: 9,
                .init(
                    status: 0, metrics: [RunnerMetric(kind: 1, name: "x_total", help: nil, labels: [], value: .nan)])),
            .log(instance: 1, level: 2, message: "héllo"),
            .event(instance: 1, type: 1, reason: "R", message: "m", announcementID: nil),
            .health(instance: 1, state: 2, detail: "link down"),
            .described(
                .init(
                    id: "dev.x", name: "x", version: "1", description: "", protocols: ["arp"], flags: 1, abiMajor: 1,
                    abiMinor: 0, entryStable: true, entryRefusesOtherMajor: true)),
            .refused("no"),
        ]
        for message in messages {
            let frame = RunnerWire.frame(message)
            var splitter = RunnerWire.FrameSplitter()
            // Byte by byte: a frame is only complete with its last byte.
            for (index, byte) in frame.enumerated() {
                splitter.append([byte])
                let body = try splitter.next()
                #expect((body != nil) == (index == frame.count - 1))
                if let body { #expect(try RunnerWire.decode(body) == message) }
            }
            // Every cut is refused.
            for cut in 1..<(frame.count - 4) {
                #expect(throws: RunnerWire.Malformed.self) { try RunnerWire.decode(frame[4..<(frame.count - cut)]) }
            }
        }
        var splitter = RunnerWire.FrameSplitter()
        splitter.append([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: RunnerWire.Malformed.self) { try splitter.next() }
        // A count that claims more elements than bytes.
        #expect(throws: RunnerWire.Malformed.self) {
            try RunnerWire.decode([2, 0, 0, 0, 1, 0, 0, 0, 1, 4, 0, 0, 0, 1, 0x7F, 0xFF, 0xFF, 0xFF][...])
        }
    }
}

/// Where a crashed runner's core went, from `kernel.core_pattern` as the kernel reads it (core(5)).
@Suite struct CoreDumpLocationTests {
    static func location(_ pattern: String, usesPID: Bool = false) -> String {
        CoreDump.location(
            pattern: pattern, pid: 4242, executable: "herald", directory: "/var/lib/herald", hostname: "node-a",
            uid: 0, usesPID: usesPID)
    }

    @Test func aFilePatternIsExpandedAgainstTheRunnersDirectory() {
        #expect(Self.location("core") == "in /var/lib/herald/core")
        #expect(Self.location("core", usesPID: true) == "in /var/lib/herald/core.4242")
        #expect(Self.location("core.%p", usesPID: true) == "in /var/lib/herald/core.4242")
        #expect(Self.location("/var/crash/%e.%p.%h.%u.%t\n") == "in /var/crash/herald.4242.node-a.0.%t")
        #expect(Self.location("/cores/100%%-%e") == "in /cores/100%-herald")
        #expect(Self.location("") == "in /var/lib/herald/core")
    }

    @Test func aPipePatternNamesTheProgram() {
        #expect(
            Self.location("|/usr/lib/systemd/systemd-coredump %P %u %g %s %t 9223372036854775808 %h")
                == "handed to /usr/lib/systemd/systemd-coredump by kernel.core_pattern; see coredumpctl info 4242")
        #expect(
            Self.location("|/usr/share/apport/apport -p%p -s%s")
                == "handed to /usr/share/apport/apport by kernel.core_pattern")
    }
}
