import Foundation
import HeraldTestSupport
import Testing

/// The TTL of the session's packets, seen by tcpdump on the router's bridge: 1 towards a directly connected eBGP peer
/// by default, `ebgpMultiHop` when set, and 64 for iBGP.
@Suite(.serialized)
struct TTLNamespaceTests {
    /// The TTL of the first SYN the plugin sends to port 179 with this configuration.
    static func synTTL(_ lab: BGPLab, config: String) throws -> Int? {
        let capture = try LineProcess(
            executable: "/usr/sbin/ip",
            arguments: [
                "netns", "exec", lab.router, "tcpdump", "-l", "-n", "-v", "-c", "1", "-i", "br0",
                "tcp dst port 179 and tcp[tcpflags] & tcp-syn != 0",
            ])
        defer { capture.stop(quit: nil) }
        guard capture.expect("tcpdump: listening", timeout: 10) != nil else {
            throw LabShell.Failure(command: "tcpdump", output: capture.transcript)
        }
        let node = try BGPHarness(namespace: lab.nodes[0], config: config)
        defer { node.stop() }
        guard capture.waitForLine(containing: ["IP (", "ttl "], timeout: 10) != nil,
            let line = capture.lines.first(where: { $0.contains("IP (") }), let range = line.range(of: "ttl ")
        else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    @Test func ttlFollowsTheSessionType() throws {
        try LabShell.requireTools()
        let lab = try BGPLab()
        defer { lab.destroy() }
        let base = #"{"myASN":64513,"routerID":"198.51.100.11","peers":[{"address":"198.51.100.1","asn":"#
        #expect(try Self.synTTL(lab, config: base + "64512}]}") == 1)
        #expect(try Self.synTTL(lab, config: base + #"64512,"ebgpMultiHop":5}]}"#) == 5)
        #expect(
            try Self.synTTL(
                lab,
                config: #"{"myASN":64512,"routerID":"198.51.100.11","peers":[{"address":"198.51.100.1","asn":64512}]}"#)
                == 64)
    }
}
