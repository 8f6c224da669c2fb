import Foundation
import HeraldTestSupport
import Testing

/// The `herald` binary end to end: the commands an operator types.
@Suite struct CLITests {
    let herald: String
    let dir: String

    init() throws {
        herald = try TestSupport.product("herald")
        dir = try TestSupport.temporaryDirectory("herald-cli")
    }

    func write(_ path: String, _ text: String) throws {
        try text.write(toFile: "\(dir)/\(path)", atomically: true, encoding: .utf8)
    }

    func setUpPlugins(record: String) throws {
        try FileManager.default.createDirectory(atPath: "\(dir)/plugins.d", withIntermediateDirectories: true)
        try write("plugins.d/10-rec.yaml", "name: rec\nlibrary: herald-log\nconfig:\n  file: \(record)\n")
        try write(
            "plugins.d/20-exec.yaml",
            "name: hook\nlibrary: herald-exec\nenabled: false\nconfig: {announce: [/bin/true], withdraw: [/bin/true]}\n"
        )
    }

    static let config = """
        apiVersion: herald.dev/v1
        kind: HeraldConfig
        node: {name: cli-node, labels: {rack: r1}}
        pools:
          - name: v4
            addresses: [192.0.2.0/26]
          - name: v6
            addresses: ["2001:db8:5::/120"]
        advertisements:
          - name: everything
            plugin: rec
          - name: rack-r2-only
            plugin: rec
            nodeSelectors: [{matchLabels: {rack: r2}}]
        staticVIPs:
          - {name: a, address: 192.0.2.1}
          - {name: b, address: 192.0.2.2, services: [web/front, web/back]}
          - {name: c, address: "2001:db8:5::c"}
        """

    @Test func versionNamesTheABI() throws {
        let out = try TestSupport.run([herald, "version"])
        #expect(out.status == 0)
        #expect(out.stdout == "herald 0.1.0 (plugin ABI 1.0)\n")
    }

    @Test func checkAcceptsAGoodSetUp() throws {
        try setUpPlugins(record: "\(dir)/unused")
        try write("herald.yaml", Self.config)
        let out = try TestSupport.run([
            herald, "check", "--config", "\(dir)/herald.yaml", "--plugins-dir", "\(dir)/plugins.d",
        ])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("ok: plugin instance \"rec\": dev.herald.log 1.0.0"))
        #expect(out.stdout.contains("ok: \(dir)/herald.yaml: 2 pools, 2 advertisements, 3 static VIPs"))
    }

    @Test func checkWarnsAboutHostBitsAndAccepts() throws {
        try setUpPlugins(record: "\(dir)/unused")
        try write("herald.yaml", Self.config.replacingOccurrences(of: "192.0.2.0/26", with: "192.0.2.7/26"))
        let out = try TestSupport.run([
            herald, "check", "--config", "\(dir)/herald.yaml", "--plugins-dir", "\(dir)/plugins.d",
        ])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(
            out.stderr.split(separator: "\n").map(String.init) == [
                "\(dir)/herald.yaml:6:17: warning: pools[0].addresses[0]: \"192.0.2.7/26\" has host bits set; "
                    + "it is read as 192.0.2.0/26 (write 192.0.2.0/26 if that is meant)"
            ])
        #expect(out.stdout.contains("ok: \(dir)/herald.yaml: 2 pools, 2 advertisements, 3 static VIPs"))
    }

    @Test func checkListsEveryProblemWithItsLocation() throws {
        try FileManager.default.createDirectory(atPath: "\(dir)/plugins.d", withIntermediateDirectories: true)
        try write("plugins.d/10-bad.yaml", "name: bad\nlibrary: herald-log\nconfig: {level: loud}\n")
        try write("plugins.d/20-typo.yaml", "name: typo\nlibary: herald-log\n")
        try write(
            "herald.yaml",
            """
            apiVersion: herald.dev/v1
            pools:
              - name: p
                addresses: [192.0.2.0/33]
            advertisements:
              - name: ad
                plugin: bad
                pool: [p]
            """)
        let out = try TestSupport.run([
            herald, "check", "--config", "\(dir)/herald.yaml", "--plugins-dir", "\(dir)/plugins.d",
        ])
        #expect(out.status == 1)
        let lines = out.stderr.split(separator: "\n").map(String.init)
        #expect(
            lines == [
                "\(dir)/herald.yaml:4:17: error: pools[0].addresses[0]: prefix length \"33\" must be 0...32",
                "\(dir)/herald.yaml:8:5: error: unknown key \"pool\" in advertisements[0] (did you mean \"pools\"?)",
                "\(dir)/plugins.d/10-bad.yaml:3:17: error: instance \"bad\": configure failed (configuration rejected): config.level: \"loud\" is not one of debug, info, notice, trace, warning",
                "\(dir)/plugins.d/20-typo.yaml:1:1: error: the plugin instance is missing the required key \"library\"",
                "\(dir)/plugins.d/20-typo.yaml:2:1: error: unknown key \"libary\" in the plugin instance (did you mean \"library\"?)",
                "5 problems found",
            ])
    }

    @Test func pluginsListsLibrariesAndRefusals() throws {
        try setUpPlugins(record: "\(dir)/unused")
        let extra = "\(dir)/extra"
        try FileManager.default.createDirectory(atPath: extra, withIntermediateDirectories: true)
        try write("extra/libherald-unsafe.so", "not even ELF")
        chmod("\(extra)/libherald-unsafe.so", 0o666)
        let out = try TestSupport.run([herald, "plugins", "--plugins-dir", "\(dir)/plugins.d", "--plugin-path", extra])
        // A refused library is a problem: the listing says why, and the exit status says that something is wrong.
        #expect(out.status == 1, "\(out.stderr)")
        #expect(out.stderr == "1 library refused, 0 other problem(s)\n")
        #expect(out.stdout.contains("  id:        dev.herald.log\n"))
        #expect(out.stdout.contains("  instances: rec\n"))
        #expect(out.stdout.contains("  id:        dev.herald.exec\n"))
        #expect(out.stdout.contains("  instances: hook (disabled)\n"))
        #expect(out.stdout.contains("  kind:      routed\n"))
        #expect(
            out.stdout.contains(
                "\(extra)/libherald-unsafe.so\n  refused:   \(extra)/libherald-unsafe.so: refused: the file is group- or world-writable (mode 666); run chmod go-w on it\n"
            ))
    }

    /// `herald run` announces the static VIPs through the advertisements that select this node, and on SIGTERM
    /// withdraws every one of them and exits within a second.
    @Test func runAnnouncesAndWithdrawsEverythingOnSIGTERM() throws {
        let record = "\(dir)/calls.jsonl"
        try setUpPlugins(record: record)
        try write("herald.yaml", Self.config)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: herald)
        process.arguments = ["run", "--config", "\(dir)/herald.yaml", "--plugins-dir", "\(dir)/plugins.d"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until all three announcements are recorded.
        let started = Date()
        var announced: [[String: String]] = []
        while Date().timeIntervalSince(started) < 20 {
            announced = Self.records(record).filter { $0["call"] == "announce" }
            if announced.count == 3 { break }
            usleep(20_000)
        }
        #expect(announced.count == 3)
        #expect(
            Set(announced.compactMap { $0["id"] }) == [
                "everything/192.0.2.1/32", "everything/192.0.2.2/32", "everything/2001:db8:5::c/128",
            ])
        #expect(announced.first { $0["address"] == "192.0.2.2" }?["services"] == "web/back,web/front")

        let signalled = Date()
        kill(process.processIdentifier, SIGTERM)
        while process.isRunning && Date().timeIntervalSince(signalled) < 5 { usleep(5_000) }
        let elapsed = Date().timeIntervalSince(signalled)
        #expect(!process.isRunning)
        #expect(elapsed < 1.0, "herald took \(elapsed) s to exit after SIGTERM")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        print("herald run: exited \(String(format: "%.3f", elapsed)) s after SIGTERM")

        let calls = Self.records(record)
        let withdrawn = Set(calls.filter { $0["call"] == "withdraw" && $0["known"] == nil }.compactMap { $0["id"] })
        #expect(withdrawn == Set(announced.compactMap { $0["id"] }))
        #expect(calls.last?["call"] == "stop")
    }

    /// The embedded default: no config file and no plugins.d, the log plugin found next to the executable.
    @Test func runsOnItsEmbeddedDefault() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: herald)
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": dir]) { _, new in new }
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let collected = Locked(Data())
        let reader = errors.fileHandleForReading
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                collected.mutate { $0.append(chunk) }
            }
            done.signal()
        }
        let started = Date()
        while Date().timeIntervalSince(started) < 20 {
            if String(decoding: collected.get(), as: UTF8.self).contains("announce 2001:db8:4f::/128 for demo/api") {
                break
            }
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        done.wait()
        let log = String(decoding: collected.get(), as: UTF8.self)
        #expect(process.terminationStatus == 0)
        #expect(
            log.contains(
                "configuration: <embedded default herald.yaml>; plugins: <embedded default plugins.d/log.yaml>"))
        // The demo's manifests: every kind of Service, one that cannot be served, and a static VIP beside them.
        #expect(log.contains("announce 192.0.2.14/32 for demo/dns via demo-log"))
        #expect(log.contains("announce 192.0.2.0/32 for demo/web via demo-log"))
        #expect(log.contains("announce 2001:db8:4e::/128 for demo/web-v6 via demo-log"))
        #expect(log.contains("announce 192.0.2.5/32 for demo/dns-tcp,demo/dns-udp via demo-log"))
        #expect(log.contains("announce 198.51.100.0/32 for demo/api via demo-log"))
        #expect(log.contains("demo/legacy: AllocationFailed: requested 203.0.113.7 is in no address pool"))
        #expect(log.contains("withdraw 192.0.2.0/32 for demo/web"))
        let status = try TestSupport.run([herald, "status"], environment: ["TMPDIR": dir])
        #expect(status.stdout.contains("demo/dns-udp  192.0.2.5"), "\(status.stdout)")
    }

    @Test func runRefusesAnInvalidConfigAndSaysWhere() throws {
        try setUpPlugins(record: "\(dir)/unused")
        try write(
            "herald.yaml", "apiVersion: herald.dev/v1\npools: [{name: x, addresses: [192.0.2.0/24], color: red}]\n")
        let out = try TestSupport.run(
            [herald, "run", "--config", "\(dir)/herald.yaml", "--plugins-dir", "\(dir)/plugins.d"], timeout: 20)
        #expect(out.status == 2)
        #expect(out.stderr.contains("\(dir)/herald.yaml:2:46: error: unknown key \"color\" in pools[0]"))
    }

    static func records(_ path: String) -> [[String: String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String]
        }
    }
}

/// SIGHUP reloads herald.yaml: a valid file is applied as a diff; an invalid one is reported and changes nothing.
@Suite struct ReloadTests {
    @Test func reloadAppliesGoodConfigsAndKeepsTheLastGoodOne() throws {
        let herald = try TestSupport.product("herald")
        let dir = try TestSupport.temporaryDirectory("herald-reload")
        let record = "\(dir)/calls.jsonl"
        try FileManager.default.createDirectory(atPath: "\(dir)/plugins.d", withIntermediateDirectories: true)
        try "name: rec\nlibrary: herald-log\nconfig: {file: \(record)}\n".write(
            toFile: "\(dir)/plugins.d/rec.yaml", atomically: true, encoding: .utf8)
        func config(_ vips: [String]) -> String {
            """
            apiVersion: herald.dev/v1
            pools: [{name: p, addresses: [192.0.2.0/24]}]
            advertisements: [{name: ad, plugin: rec}]
            staticVIPs:
            \(vips.map { "  - {name: v\($0.split(separator: ".").last!), address: \($0)}" }.joined(separator: "\n"))
            """
        }
        let path = "\(dir)/herald.yaml"
        try config(["192.0.2.1", "192.0.2.2"]).write(toFile: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: herald)
        process.arguments = ["run", "--config", path, "--plugins-dir", "\(dir)/plugins.d"]
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        func waitFor(_ what: String, _ condition: ([[String: String]]) -> Bool) {
            let start = Date()
            while Date().timeIntervalSince(start) < 20 {
                if condition(CLITests.records(record)) { return }
                usleep(20_000)
            }
            Issue.record("timed out waiting for \(what): \(CLITests.records(record))")
        }
        func active(_ calls: [[String: String]]) -> Set<String> {
            var set = Set<String>()
            for call in calls {
                if call["call"] == "announce", let a = call["address"] { set.insert(a) }
                if call["call"] == "withdraw", let a = call["address"] { set.remove(a) }
            }
            return set
        }
        waitFor("the first two VIPs") { active($0) == ["192.0.2.1", "192.0.2.2"] }

        try config(["192.0.2.2", "192.0.2.3"]).write(toFile: path, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        waitFor("the reloaded VIPs") { active($0) == ["192.0.2.2", "192.0.2.3"] }
        // 192.0.2.2 was never withdrawn: only the difference was applied.
        #expect(CLITests.records(record).filter { $0["address"] == "192.0.2.2" }.count == 1)

        let before = CLITests.records(record).count
        try
            "apiVersion: herald.dev/v1\npools: [{name: p, addresses: [192.0.2.0/24]}]\nstaticVIPs: [{name: v, address: 10.9.9.9}]\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        usleep(500_000)
        #expect(CLITests.records(record).count == before, "an invalid config changed the announcements")

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("\(path):3:33: error: staticVIPs[0].address 10.9.9.9 is in no pool"), "\(log)")
        #expect(log.contains("reload rejected: keeping the last good configuration"))
        #expect(active(CLITests.records(record)).isEmpty)
    }
}

/// SIGHUP rereads plugins.d too, and SIGTERM is honoured at once whatever a reload is doing.
@Suite struct PluginReloadTests {
    @Test func sighupAppliesPluginsDAndSigtermDoesNotWaitForAReload() throws {
        let herald = try TestSupport.product("herald")
        let dir = try TestSupport.temporaryDirectory("herald-plugin-reload")
        let first = "\(dir)/first.jsonl"
        let second = "\(dir)/second.jsonl"
        try FileManager.default.createDirectory(atPath: "\(dir)/plugins.d", withIntermediateDirectories: true)
        try "name: first\nlibrary: herald-log\nconfig: {file: \(first)}\n".write(
            toFile: "\(dir)/plugins.d/10-first.yaml", atomically: true, encoding: .utf8)
        func config(_ instances: [String]) -> String {
            """
            apiVersion: herald.dev/v1
            pools: [{name: p, addresses: [192.0.2.0/24]}]
            advertisements:
            \(instances.map { "  - {name: ad-\($0), plugin: \($0)}" }.joined(separator: "\n"))
            staticVIPs: [{name: v, address: 192.0.2.7}]
            """
        }
        let path = "\(dir)/herald.yaml"
        try config(["first"]).write(toFile: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: herald)
        process.arguments = ["run", "--config", path, "--plugins-dir", "\(dir)/plugins.d", "--status-address", "none"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        func waitFor(_ what: String, _ condition: () -> Bool) {
            let start = Date()
            while Date().timeIntervalSince(start) < 20 {
                if condition() { return }
                usleep(20_000)
            }
            Issue.record("timed out waiting for \(what)")
        }
        func calls(_ file: String) -> [String] { CLITests.records(file).compactMap { $0["call"] } }
        waitFor("the first instance's announcement") { calls(first).contains("announce") }

        // A new instance file and an advertisement for it: the instance starts and announces.
        try "name: second\nlibrary: herald-log\nconfig: {file: \(second)}\n".write(
            toFile: "\(dir)/plugins.d/20-second.yaml", atomically: true, encoding: .utf8)
        try config(["first", "second"]).write(toFile: path, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        waitFor("the second instance's announcement") { calls(second).contains("announce") }
        #expect(calls(first).filter { $0 == "announce" }.count == 1, "the first instance was disturbed")

        // Its file removed: it withdraws and stops; the first one goes on.
        try FileManager.default.removeItem(atPath: "\(dir)/plugins.d/20-second.yaml")
        try config(["first"]).write(toFile: path, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        waitFor("the second instance to stop") { calls(second).last == "stop" }
        #expect(calls(second).contains("withdraw"))
        #expect(!calls(first).contains("withdraw"))

        // A reload that takes long (a file of 30,000 pools), then SIGTERM at once: the stop does not wait for it.
        var big = "apiVersion: herald.dev/v1\npools:\n"
        for i in 0..<30_000 {
            big += "  - {name: p\(i), addresses: [10.\(i / 65536).\(i / 256 % 256).\(i % 256)/32]}\n"
        }
        big += "advertisements: [{name: ad-first, plugin: first}]\n"
        try big.write(toFile: path, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        usleep(100_000)
        let signalled = Date()
        kill(process.processIdentifier, SIGTERM)
        while process.isRunning && Date().timeIntervalSince(signalled) < 10 { usleep(5_000) }
        let elapsed = Date().timeIntervalSince(signalled)
        #expect(elapsed < 1.0, "SIGTERM took \(elapsed) s during a reload")
        process.waitUntilExit()
        #expect(calls(first).suffix(2) == ["withdraw", "stop"])
        print("herald run: exited \(String(format: "%.3f", elapsed)) s after SIGTERM during a reload")
    }
}
