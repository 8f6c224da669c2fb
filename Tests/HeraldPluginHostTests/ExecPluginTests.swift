import Foundation
import HeraldCore
import HeraldTestSupport
import Logging
import Testing

@testable import HeraldPluginHost

/// The exec plugin runs the operator's commands with the announcement in its environment, in order, with a timeout,
/// and reports failures as events and health.
@Suite struct ExecPluginTests {
    let dir: String
    let library: PluginLibrary

    init() throws {
        dir = try TestSupport.temporaryDirectory("herald-exec")
        library = try PluginLoader(searchPath: []).load(path: try TestSupport.product("libherald-exec.so"))
    }

    func makeInstance(
        _ config: String, events: Locked<[PluginEvent]> = Locked([])
    ) throws -> PluginInstance {
        let instance = try PluginInstance(
            name: "hook", library: library, logger: Logger(label: "test"),
            onEvent: { e in events.mutate { $0.append(e) } })
        try instance.configure(json: config, node: LocalNode(name: "node-7"))
        try instance.start()
        return instance
    }

    func waitForLines(_ path: String, count: Int, timeout: Double = 10) -> [String] {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            let lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(
                String.init)
            if lines.count >= count { return lines }
            usleep(10_000)
        }
        return ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func commandsSeeTheAnnouncementInTheirEnvironment() throws {
        let out = "\(dir)/env.log"
        let script =
            "echo \"$HERALD_ACTION|$HERALD_ID|$HERALD_ADDRESS|$HERALD_PREFIX_LENGTH|$HERALD_FAMILY|$HERALD_SERVICES|$HERALD_ATTRIBUTES|$HERALD_ADVERTISEMENT|$HERALD_NODE\" >> \(out)"
        let config = try String(
            decoding: JSONSerialization.data(withJSONObject: ["announce": script, "withdraw": script]), as: UTF8.self)
        let instance = try makeInstance(config)
        try instance.announce(
            PlannedAnnouncement(
                id: "ad/2001:db8::5/128", address: IPAddress("2001:db8::5")!, prefixLength: 128,
                services: ["web/a", "web/b"], attributesJSON: #"{"k":1}"#, advertisement: "ad"))
        // Re-announcing the same thing runs nothing; withdrawing an unknown id runs nothing.
        try instance.announce(instance.announced["ad/2001:db8::5/128"]!)
        try instance.withdraw(id: "unknown")
        try instance.withdraw(id: "ad/2001:db8::5/128")
        let lines = waitForLines(out, count: 2)
        #expect(
            lines == [
                #"announce|ad/2001:db8::5/128|2001:db8::5|128|ipv6|web/a,web/b|{"k":1}|ad|node-7"#,
                #"withdraw|ad/2001:db8::5/128|2001:db8::5|128|ipv6|web/a,web/b|{"k":1}|ad|node-7"#,
            ])
        instance.destroy()
    }

    @Test func commandsInheritNoDescriptorOfTheHost() throws {
        // A descriptor the host holds without close-on-exec (a socket, a pipe) must not reach the operator's command:
        // a daemon started by the command would otherwise keep it open for its whole life.
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        let out = "\(dir)/fds.log"
        // The shell's own descriptors (besides 0-2, the shell may keep a saved copy of one of them).
        let list =
            "for fd in /proc/$$/fd/*; do echo ${fd##*/} $(readlink $fd); done > \(out).part && mv \(out).part \(out)"
        let instance = try makeInstance(
            String(
                decoding: try JSONSerialization.data(withJSONObject: ["announce": list, "withdraw": "true"]),
                as: UTF8.self))
        try instance.announce(
            PlannedAnnouncement(
                id: "fd", address: IPAddress("192.0.2.9")!, prefixLength: 32, services: [], advertisement: "ad"))
        let lines = waitForLines(out, count: 3)
        let open = Set(lines.compactMap { $0.split(separator: " ").first.flatMap { Int32($0) } })
        #expect(open.isSuperset(of: [0, 1, 2]), "\(lines)")
        // The pipe is told by its inode, not by its descriptor numbers: the shell opens pipes of its own (for
        // `$(…)`), which may get the same numbers in its process.
        var status = stat()
        #expect(fstat(fds[0], &status) == 0)
        #expect(
            !lines.contains { $0.hasSuffix("pipe:[\(status.st_ino)]") },
            "the host's pipe \(fds) (inode \(status.st_ino)) leaked: \(lines)")
        #expect(!lines.contains { $0.contains("socket:") }, "a socket leaked: \(lines)")
        instance.destroy()
    }

    @Test func stopWithdrawsEverythingThroughTheCommand() throws {
        let out = "\(dir)/stop.log"
        let instance = try makeInstance(
            #"{"announce": "echo up $HERALD_ADDRESS >> \#(out)", "withdraw": "echo down $HERALD_ADDRESS >> \#(out)"}"#)
        for i in 1...3 {
            try instance.announce(
                PlannedAnnouncement(
                    id: "a\(i)", address: IPAddress("192.0.2.\(i)")!, prefixLength: 32, services: [],
                    advertisement: "ad"))
        }
        instance.stop()  // returns after the worker drained its queue
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(3)) == ["up 192.0.2.1", "up 192.0.2.2", "up 192.0.2.3"])
        #expect(Set(lines.dropFirst(3)) == ["down 192.0.2.1", "down 192.0.2.2", "down 192.0.2.3"])
        instance.destroy()
    }

    @Test func failingAndHangingCommandsAreReported() throws {
        let events = Locked<[PluginEvent]>([])
        let instance = try makeInstance(
            #"{"announce": "case $HERALD_ADDRESS in 192.0.2.1) exit 3;; *) sleep 30;; esac", "withdraw": ["/bin/true"], "timeoutSeconds": 1}"#,
            events: events)
        try instance.announce(
            PlannedAnnouncement(
                id: "fails", address: IPAddress("192.0.2.1")!, prefixLength: 32, services: [], advertisement: "ad"))
        try instance.announce(
            PlannedAnnouncement(
                id: "hangs", address: IPAddress("192.0.2.2")!, prefixLength: 32, services: [], advertisement: "ad"))
        let start = Date()
        while events.get().count < 2 && Date().timeIntervalSince(start) < 10 { usleep(20_000) }
        let seen = events.get()
        #expect(seen.count == 2)
        #expect(seen.allSatisfy { $0.warning && $0.reason == "CommandFailed" && $0.instance == "hook" })
        #expect(seen.first?.message == "announce fails: command /bin/sh exited 3")
        #expect(seen.first?.announcementID == "fails")
        #expect(seen.last?.message == "announce hangs: command /bin/sh timed out after 1 s and was killed")
        #expect(Date().timeIntervalSince(start) < 5, "the hung command was not killed at its timeout")
        #expect(instance.health().state == .degraded)
        let metrics = instance.collectMetrics()
        #expect(metrics.first { $0.name == "exec_command_failures_total" }?.value == 2)
        #expect(metrics.first { $0.name == "exec_active_announcements" }?.value == 2)
        instance.destroy()
    }

    @Test func aFullQueueCoalescesByIdAndRefusesNewIds() throws {
        // A hung command holds the worker; the queue fills to its bound of 1024 jobs. Past that, a later action for an
        // id with a job waiting replaces that job, and an action for another id is refused and changes nothing.
        let out = "\(dir)/queue.log"
        let gate = "\(dir)/queue.gate"
        let instance = try makeInstance(
            #"{"announce": "while [ ! -e \#(gate) ]; do sleep 0.02; done; echo up $HERALD_ID $HERALD_SERVICES >> \#(out)", "withdraw": "echo down $HERALD_ID >> \#(out)", "timeoutSeconds": 120}"#
        )
        func announcement(_ id: String, services: [ServiceID] = []) -> PlannedAnnouncement {
            PlannedAnnouncement(
                id: id, address: IPAddress("192.0.2.1")!, prefixLength: 32, services: services, advertisement: "ad")
        }
        func metric(_ name: String) -> Double? { instance.collectMetrics().first { $0.name == name }?.value }
        try instance.announce(announcement("held"))
        let start = Date()
        while metric("exec_queue_length") != 0 && Date().timeIntervalSince(start) < 10 { usleep(10_000) }
        for i in 0..<1024 { try instance.announce(announcement("q\(i)")) }
        #expect(metric("exec_queue_length") == 1024)

        #expect {
            try instance.announce(announcement("extra"))
        } throws: { error in
            let e = error as? PluginCallError
            return e?.status == -6 && e?.message.contains("the command queue is full (1024 jobs waiting") == true
        }
        #expect(instance.announced["extra"] == nil)
        try instance.withdraw(id: "q5")  // replaces q5's waiting announce
        try instance.announce(announcement("q7", services: ["web/a"]))  // replaces q7's waiting announce
        #expect(metric("exec_queue_length") == 1024)
        #expect(metric("exec_queue_coalesced_total") == 2)
        #expect(metric("exec_queue_refused_total") == 1)

        #expect(FileManager.default.createFile(atPath: gate, contents: nil))
        // 1,025 shell commands, one after another: on a loaded machine that takes a while.
        let lines = waitForLines(out, count: 1025, timeout: 90)
        #expect(lines.count == 1025)
        #expect(lines.first == "up held")
        #expect(!lines.contains("up q5") && !lines.contains("up q7") && !lines.contains("up extra"))
        #expect(Array(lines.suffix(2)) == ["down q5", "up q7 web/a"])
        #expect(lines.contains("up q1023"))
        instance.destroy()
    }

    @Test(arguments: [
        (#"{"withdraw": ["/bin/true"]}"#, "config.announce: required key is missing"),
        (
            #"{"announce": ["true"], "withdraw": ["/bin/true"]}"#,
            "config.announce: the program \"true\" must be an absolute path"
        ),
        (#"{"announce": [], "withdraw": ["/bin/true"]}"#, "config.announce: the argv list must have 1 to 256 items"),
        (
            #"{"announce": "x", "withdraw": "y", "timeoutSeconds": "soon"}"#,
            "config.timeoutSeconds: expected an integer from 1 to 3600, found \"soon\""
        ),
        (
            #"{"announce": "x", "withdraw": "y", "color": "red"}"#,
            "unknown key \"config.color\" (known keys: announce, withdraw, timeoutSeconds)"
        ),
        (
            #"{"announce": {"a": 1}, "withdraw": "y"}"#,
            "config.announce: expected a list of strings (argv) or one shell command string"
        ),
    ])
    func badConfigsAreRejectedWithAReason(config: String, message: String) throws {
        let instance = try PluginInstance(name: "hook", library: library, logger: Logger(label: "test"))
        #expect(throws: PluginCallError(instance: "hook", call: "configure", status: -2, message: message)) {
            try instance.configure(json: config, node: LocalNode(name: "n"))
        }
        instance.destroy()
    }
}
