import Foundation
import HeraldBGP
import HeraldTestSupport
import Testing

/// A peer that sends malformed messages: the plugin answers with the NOTIFICATION RFC 4271 and RFC 7606 prescribe,
/// or keeps the session for a treat-as-withdraw UPDATE, and never crashes.
@Suite(.serialized)
struct MalformedPeerTests {
    /// One UPDATE from attribute bytes and IPv4 NLRI.
    static func update(_ attributes: [UInt8], nlri: [UInt8] = [32, 192, 0, 2, 99]) -> String {
        var body: [UInt8] = [0, 0, UInt8(attributes.count >> 8), UInt8(attributes.count & 0xFF)] + attributes + nlri
        body =
            [UInt8](repeating: 0xFF, count: 16) + [UInt8((body.count + 19) >> 8), UInt8((body.count + 19) & 0xFF), 2]
            + body
        return hexString(body)
    }

    @Test("malformed messages get their NOTIFICATION, a treat-as-withdraw UPDATE keeps the session, nothing crashes")
    func malformedMessages() throws {
        try LabShell.requireTools()
        let lab = try BGPLab()
        defer { lab.destroy() }
        let origin: [UInt8] = [0x40, 1, 1, 0]
        let asPath: [UInt8] = [0x40, 2, 6, 2, 1, 0, 0, 0xFC, 0]
        let nextHop: [UInt8] = [0x40, 3, 4, 198, 51, 100, 1]
        // Session 1: a bad marker (1/1). Session 2: MP_REACH_NLRI twice (3/1). Session 3: an UPDATE with ORIGIN 7,
        // treat-as-withdraw, then a KEEPALIVE: the session stays up. Session 4: an unknown message type (1/3).
        // IPv6 unicast, a 16-octet next hop (2001:db8::1), the reserved octet, no NLRI: valid alone, an error twice.
        let nextHop6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
        let mpReach: [UInt8] = [0x80, 14, 21, 0, 2, 1, 16] + nextHop6 + [0]
        let sessions = [
            "00" + String(repeating: "ff", count: 15) + "001304",
            Self.update(origin + asPath + mpReach + mpReach, nlri: []),
            Self.update([0x40, 1, 1, 7] + asPath + nextHop) + String(repeating: "ff", count: 16) + "001304",
            String(repeating: "ff", count: 16) + "001309",
        ]
        let peer = try LineProcess(
            executable: "/usr/sbin/ip",
            arguments: ["netns", "exec", lab.router, "/usr/bin/python3", FakePeer.path] + sessions)
        defer { peer.stop(quit: nil) }
        #expect(peer.expect("listening", timeout: 10) != nil, "\(peer.transcript)")
        let config = #"{"myASN":64513,"routerID":"198.51.100.11","peers":[{"address":"198.51.100.1","asn":64512}]}"#
        let node = try BGPHarness(namespace: lab.nodes[0], config: config)
        defer { node.stop() }
        #expect(peer.expect("done", timeout: 60) != nil, "\(peer.transcript)")
        #expect(node.isRunning, "the plugin survived every malformed message")
        // The NOTIFICATIONs the plugin sent, as code/subcode, in session order.
        let notifications = peer.lines.filter { $0.hasPrefix("recv 3 ") }.map { line -> String in
            let bytes = hex(String(line.dropFirst(7)))
            return "\(bytes[19])/\(bytes[20])"
        }
        #expect(notifications == ["1/1", "3/1", "1/3"], "\(peer.transcript)")
        // The peer prints "done" once it has read the last NOTIFICATION; the plugin's counters are published by its
        // I/O thread on its next pass, so they are read until they settle (at most 2 s).
        let headerErrors = #"bgp_notifications_sent_total{code="message-header-error",peer="198.51.100.1"}"#
        var metrics = try node.metrics()
        let settle = Date().addingTimeInterval(2)
        while metrics[headerErrors] != 2, Date() < settle {
            usleep(50_000)
            metrics = try node.metrics()
        }
        #expect(metrics[#"bgp_malformed_updates_total{peer="198.51.100.1"}"#] == 1)
        #expect(metrics[headerErrors] == 2)
        #expect(metrics[#"bgp_notifications_sent_total{code="update-message-error",peer="198.51.100.1"}"#] == 1)
    }
}
