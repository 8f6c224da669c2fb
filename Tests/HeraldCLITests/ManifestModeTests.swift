import Foundation
import HeraldTestSupport
import Testing

/// Herald without a cluster on a manifest directory: `herald plan` says what `herald run` then does, and editing a
/// file changes the assignments.
@Suite struct ManifestModeTests {
    let herald: String
    let dir: String

    init() throws {
        herald = try TestSupport.product("herald")
        dir = try TestSupport.temporaryDirectory("herald-manifests")
        try FileManager.default.createDirectory(atPath: "\(dir)/plugins.d", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(dir)/manifests", withIntermediateDirectories: true)
        try "name: rec\nlibrary: herald-log\nconfig: {file: \(dir)/calls.jsonl}\n".write(
            toFile: "\(dir)/plugins.d/rec.yaml", atomically: true, encoding: .utf8)
        try """
        apiVersion: herald.dev/v1
        node: {name: edge-1}
        pools:
          - {name: v4, addresses: [192.0.2.0/28]}
          - {name: v6, addresses: ["2001:db8:7::/124"]}
        advertisements:
          - {name: l2, plugin: rec}
          - {name: routed, plugin: rec, pools: [v4], aggregationLength: 28}
        """.write(toFile: "\(dir)/herald.yaml", atomically: true, encoding: .utf8)
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: "\(dir)/manifests/\(name)", atomically: true, encoding: .utf8)
    }

    static func service(_ name: String, _ extra: String = "", families: String = "[IPv4]") -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: \(name), namespace: shop\(extra)}
        spec: {type: LoadBalancer, ipFamilies: \(families), ports: [{port: 80}]}
        """
    }

    var arguments: [String] {
        ["--config", "\(dir)/herald.yaml", "--plugins-dir", "\(dir)/plugins.d", "--manifests", "\(dir)/manifests"]
    }

    /// The announcements `herald plan -o json` lists, as `id services` strings.
    func planned() throws -> Set<String> {
        let out = try TestSupport.run([herald, "plan", "-o", "json"] + arguments)
        #expect(out.status == 0, "\(out.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
        let list = object?["announcements"] as? [[String: Any]] ?? []
        return Set(list.map { "\($0["id"] ?? "") \(($0["services"] as? [String] ?? []).joined(separator: ","))" })
    }

    /// The announcements the running host holds now, from the log plugin's record.
    func active() -> Set<String> {
        var set: [String: String] = [:]
        for call in CLITests.records("\(dir)/calls.jsonl") {
            guard let id = call["id"] else { continue }
            if call["call"] == "announce" { set[id] = "\(id) \(call["services"] ?? "")" }
            if call["call"] == "withdraw" { set[id] = nil }
        }
        return Set(set.values)
    }

    func wait(_ what: String, timeout: Double = 20, _ condition: () throws -> Bool) rethrows {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if try condition() { return }
            usleep(20_000)
        }
        Issue.record("timed out waiting for \(what)")
    }

    @Test func planIsWhatRunDoesAndEditsChangeTheAssignments() throws {
        try write(
            "a.yaml", [Self.service("web"), Self.service("web6", families: "[IPv6]")].joined(separator: "\n---\n"))
        try write("b.yml", Self.service("api", ", annotations: {metallb.io/loadBalancerIPs: 192.0.2.9}"))
        let plan = try planned()
        #expect(
            plan == [
                "l2/192.0.2.0/32 shop/web", "l2/192.0.2.9/32 shop/api", "l2/2001:db8:7::/128 shop/web6",
                "routed/192.0.2.0/28 shop/api,shop/web",
            ])
        // A plan has no side effect: no status file, no plugin call.
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/manifests/herald-status.json"))
        #expect(CLITests.records("\(dir)/calls.jsonl").isEmpty)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: herald)
        process.arguments = ["run", "--status-address", "none"] + arguments
        let log = "\(dir)/run.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try out.close()
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        wait("the planned announcements") { active() == plan }
        #expect(active() == plan)

        // Edits: api asks for another address, a new Service appears, and web6 goes away.
        try write("b.yml", Self.service("api", ", annotations: {metallb.io/loadBalancerIPs: 192.0.2.12}"))
        try write("a.yaml", [Self.service("web"), Self.service("new")].joined(separator: "\n---\n"))
        let expected: Set<String> = [
            "l2/192.0.2.0/32 shop/web", "l2/192.0.2.1/32 shop/new", "l2/192.0.2.12/32 shop/api",
            "routed/192.0.2.0/28 shop/api,shop/new,shop/web",
        ]
        wait("the edited announcements") { active() == expected }
        #expect(active() == expected)
        #expect(try planned() == expected, "herald plan disagrees with the running host")
        let status = try TestSupport.run([herald, "status", "--manifests", "\(dir)/manifests"])
        #expect(status.stdout.contains("shop/api  192.0.2.12"), "\(status.stdout)")

        // A broken file is reported with its place, and what it held stays.
        try write("a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop\nspec: {}\n")
        wait("the parse error in the log") {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("\(dir)/manifests/a.yaml:")
        }
        usleep(600_000)
        #expect(active() == expected)

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(active().isEmpty)
    }
}
