import Foundation
import HeraldTestSupport
import Testing

/// The whole path through the real host: `herald run` inside a node namespace loads the BGP plugin from plugins.d,
/// announces static VIPs from herald.yaml with the advertisement's attributes to BIRD, and on SIGTERM stops the
/// plugin, whose Cease makes BIRD withdraw every route.
@Suite(.serialized)
struct BGPHostEndToEndTests {
    @Test(
        "herald run announces static VIPs to BIRD with the advertisement's communities, and withdraws them on SIGTERM")
    func staticVIPsThroughTheHost() throws {
        try LabShell.requireTools()
        let herald = try TestSupport.product("herald")
        let lab = try BGPLab()
        defer { lab.destroy() }
        let bird = try Bird(lab: lab)
        defer { bird.stop() }
        try FileManager.default.createDirectory(
            atPath: "\(lab.directory)/plugins.d", withIntermediateDirectories: true)
        _ = try lab.write(
            "plugins.d/bgp.yaml",
            """
            name: bgp
            library: herald-bgp
            config:
              myASN: 64513
              routerID: 198.51.100.11
              peers:
                - {address: 198.51.100.1, asn: 64512, gracefulRestart: true}
                - {address: "2001:db8::1", asn: 64512}
            """)
        let config = try lab.write(
            "herald.yaml",
            """
            apiVersion: herald.dev/v1
            node: {name: node1}
            pools:
              - {name: v4, addresses: [192.0.2.0/28]}
              - {name: v6, addresses: ["2001:db8:4e::/124"]}
            advertisements:
              - name: upstream
                plugin: bgp
                attributes: {communities: ["64512:100"], largeCommunities: ["64512:7:8"]}
            staticVIPs:
              - {name: web, address: 192.0.2.5}
              - {name: web6, address: "2001:db8:4e::5"}
            """)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = [
            "netns", "exec", lab.nodes[0], herald, "run", "--config", config, "--plugins-dir",
            "\(lab.directory)/plugins.d", "--status-address", "none",
        ]
        let log = "\(lab.directory)/herald.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? handle.close() }
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let text = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        #expect(LabShell.wait(20) { !bird.routes("192.0.2.5/32", table: "t4").isEmpty }, "\(text())")
        #expect(LabShell.wait(10) { !bird.routes("2001:db8:4e::5/128", table: "t6").isEmpty }, "\(text())")
        let v4 = bird.routes("192.0.2.5/32", table: "t4")
        #expect(v4.contains("BGP.community: (64512,100)"), "\(v4)")
        #expect(v4.contains("BGP.large_community: (64512, 7, 8)"), "\(v4)")
        #expect(bird.count(table: "t4") == 1, "only the static VIP, not the rest of the pool")

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text())")
        // Withdrawn at once, not kept as stale: a normal stop is no graceful restart.
        #expect(bird.count(table: "t4") == 0, "\(bird.query("show route all table t4"))")
        #expect(bird.count(table: "t6") == 0)
        #expect(!bird.query("show protocols all").contains("Neighbor graceful restart active"))
    }
}
