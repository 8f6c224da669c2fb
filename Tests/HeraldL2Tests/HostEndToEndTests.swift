import Foundation
import Testing

/// The whole path through the real host: `herald run` inside a node namespace loads the ARP and NDP plugins from
/// plugins.d, announces static VIPs from herald.yaml, and on SIGTERM withdraws them (the router stops getting answers).
@Suite(.serialized)
struct HostEndToEndTests {
    @Test("herald run announces static VIPs through ARP and NDP, and withdraws them on SIGTERM")
    func staticVIPsThroughTheHost() throws {
        try Products.requireTools()
        let herald = try Products.path("herald")
        let t = try Topology()
        defer { t.destroy() }
        let dir = NSTemporaryDirectory() + "herald-e2e-\(t.suffix)"
        try FileManager.default.createDirectory(atPath: "\(dir)/plugins.d", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        name: l2v4
        library: herald-arp
        config: {interfaces: [eth0]}
        """.write(toFile: "\(dir)/plugins.d/10-arp.yaml", atomically: true, encoding: .utf8)
        try """
        name: l2v6
        library: herald-ndp
        config: {interfaces: [eth0]}
        """.write(toFile: "\(dir)/plugins.d/20-ndp.yaml", atomically: true, encoding: .utf8)
        try """
        apiVersion: herald.dev/v1
        node: {name: node1}
        pools:
          - {name: v4, addresses: [198.51.100.48/29]}
          - {name: v6, addresses: ["2001:db8::50/124"]}
        advertisements:
          - {name: arp, plugin: l2v4, pools: [v4]}
          - {name: ndp, plugin: l2v6, pools: [v6]}
        staticVIPs:
          - {name: web, address: 198.51.100.50}
          - {name: web6, address: "2001:db8::50"}
        """.write(toFile: "\(dir)/herald.yaml", atomically: true, encoding: .utf8)

        let check = Shell.run(
            "ip netns exec \(t.nodes[0]) \(herald) check --config \(dir)/herald.yaml --plugins-dir \(dir)/plugins.d")
        #expect(check.status == 0, "\(check.output)")

        #expect(t.arping("198.51.100.50") == nil, "answered before herald runs")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = [
            "netns", "exec", t.nodes[0], herald, "run", "--config", "\(dir)/herald.yaml", "--plugins-dir",
            "\(dir)/plugins.d",
        ]
        let log = "\(dir)/herald.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let mac = try t.mac(t.nodes[0])
        var answered: String?
        let start = Date()
        while answered == nil && Date().timeIntervalSince(start) < 15 {
            answered = t.arping("198.51.100.50")
        }
        #expect(answered == mac, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        // IPv6 through the kernel's own neighbour discovery in the router namespace.
        t.inRouter("ping -6 -c 1 -W 1 2001:db8::50")
        #expect(Shell.run("ip -n \(t.router) -6 neigh show 2001:db8::50").output.lowercased().contains(mac))
        // An address in the pool that is not a static VIP is never answered.
        #expect(t.arping("198.51.100.51") == nil)
        // The plugins' metrics and health, through the ABI, on the host's status endpoints (default address, inside
        // the node's namespace).
        let curl = "ip netns exec \(t.nodes[0]) curl -s --max-time 5"
        let metrics = Shell.run("\(curl) http://127.0.0.1:9464/metrics").output.split(separator: "\n")
        let replies = metrics.first {
            $0.hasPrefix(#"herald_arp_replies_total{instance="l2v4",address="198.51.100.50"}"#)
        }
        #expect((replies?.split(separator: " ").last.flatMap { Double($0) } ?? 0) >= 1, "\(metrics)")
        func value(_ prefix: String) -> Double? {
            metrics.first { $0.hasPrefix(prefix) }?.split(separator: " ").last.flatMap { Double($0) }
        }
        #expect(value(#"herald_plugin_instance_health{instance="l2v6""#) == 0, "\(metrics)")
        #expect(value(#"herald_ndp_announced_addresses{instance="l2v6"}"#) == 1, "\(metrics)")
        let ready = Shell.run("\(curl) -o /dev/null -w %{http_code} http://127.0.0.1:9464/readyz").output
        #expect(ready == "200")

        let signalled = Date()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let elapsed = Date().timeIntervalSince(signalled)
        #expect(process.terminationStatus == 0)
        #expect(elapsed < 1.0, "herald took \(elapsed) s to stop")
        #expect(t.arping("198.51.100.50") == nil, "answered after herald stopped")
        #expect(t.ndisc6("2001:db8::50") == nil, "NDP answered after herald stopped")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(text.contains("plugin-instance=l2v4"))
        #expect(text.contains("plugin-instance=l2v6"))
        print(
            "herald e2e: static VIPs answered through the host; stopped \(String(format: "%.3f", elapsed)) s after SIGTERM"
        )
    }
}
