import Foundation
import Testing

/// Peer options against BIRD in network namespaces: passive sessions, node selectors, the source address, and route
/// refresh.
@Suite(.serialized)
struct PeerOptionsNamespaceTests {
    func withLab(_ body: (BGPLab) throws -> Void) throws {
        try LabShell.requireTools()
        let lab = try BGPLab()
        defer { lab.destroy() }
        try body(lab)
    }

    @Test("a passive peer: BIRD connects to the plugin's listening port")
    func passivePeer() throws {
        try withLab { lab in
            let extra = """
                protocol bgp active11 from nodes { neighbor 198.51.100.11 port 1179 as 64513; }

                """
            let bird = try Bird(lab: lab, extra: extra, ranges: false)
            defer { bird.stop() }
            let config =
                #"{"myASN":64513,"routerID":"198.51.100.11","listenPort":1179,"peers":[{"address":"198.51.100.1","asn":64512,"passive":true}]}"#
            let node = try BGPHarness(namespace: lab.nodes[0], config: config)
            defer { node.stop() }
            try node.command("announce vip 192.0.2.60/32")
            #expect(LabShell.wait(30) { bird.established == 1 }, "\(bird.query("show protocols all"))")
            #expect(LabShell.wait(10) { !bird.routes("192.0.2.60/32", table: "t4").isEmpty })
            // The plugin never connected out: the session is BIRD's connection to port 1179.
            let sockets = LabShell.run("ip netns exec \(lab.nodes[0]) ss -tn state established").output
            #expect(sockets.contains("198.51.100.11:1179"), "\(sockets)")
        }
    }

    @Test("a passive peer with vrf: its connections are accepted only through that device")
    func passivePeerWithDevice() throws {
        try withLab { lab in
            let extra = """
                protocol bgp active11 from nodes { neighbor 198.51.100.11 port 1179 as 64513; }

                """
            let bird = try Bird(lab: lab, extra: extra, ranges: false, errorWaitTime: "1, 2")
            defer { bird.stop() }
            func config(_ device: String) -> String {
                #"{"myASN":64513,"routerID":"198.51.100.11","listenPort":1179,"peers":[{"address":"198.51.100.1","asn":64512,"passive":true,"vrf":"\#(device)"}]}"#
            }
            // BIRD reaches the node through eth0: a listener bound to eth1 never sees the connection.
            let wrong = try BGPHarness(namespace: lab.nodes[0], config: config("eth1"))
            #expect(!LabShell.wait(4) { bird.established == 1 }, "established through a listener bound to eth1")
            let listening = LabShell.run("ip netns exec \(lab.nodes[0]) ss -tlnH 'sport = :1179'").output
            #expect(listening.contains("%eth1"), "\(listening)")
            wrong.stop()
            let right = try BGPHarness(namespace: lab.nodes[0], config: config("eth0"))
            defer { right.stop() }
            #expect(LabShell.wait(20) { bird.established == 1 }, "\(bird.query("show protocols all"))")
        }
    }

    /// A router restarts without its old connection ending: BIRD is frozen (SIGSTOP: its kernel still acknowledges, so
    /// Herald's session stays Established), and a second BIRD (the restarted router) connects from the same address.
    /// Without the replacement, Herald would refuse the new connection until its hold timer (90 s) ended the old one.
    @Test("a Graceful Restart peer that connects again while its old session looks Established gets the new connection")
    func newConnectionFromARestartedPeerReplacesTheOld() throws {
        try withLab { lab in
            let extra = """
                protocol bgp active11 from nodes { neighbor 198.51.100.11 port 1179 as 64513; }

                """
            let old = try Bird(lab: lab, extra: extra, ranges: false, holdTime: 90)
            defer {
                old.signal(SIGCONT)
                old.stop()
            }
            let config =
                #"{"myASN":64513,"routerID":"198.51.100.11","listenPort":1179,"peers":[{"address":"198.51.100.1","asn":64512,"passive":true,"holdTime":90,"gracefulRestart":true}]}"#
            let node = try BGPHarness(namespace: lab.nodes[0], config: config)
            defer { node.stop() }
            #expect(LabShell.wait(30) { old.established == 1 })
            old.signal(SIGSTOP)
            let before = node.lineCount
            let start = Date()
            // The restarted router: its own listening port (the frozen one holds 179).
            let restarted = try Bird(
                lab: lab,
                extra: """
                    protocol bgp active11 from nodes { neighbor 198.51.100.11 port 1179 as 64513; local port 1790; }

                    """, ranges: false, holdTime: 90, name: "bird2")
            defer { restarted.stop() }
            #expect(LabShell.wait(20) { restarted.established == 1 }, "\(restarted.query("show protocols all"))")
            let took = Date().timeIntervalSince(start)
            #expect(
                node.waitForLine(
                    containing: ["connected again while its session was Established; taking the new connection"],
                    from: before, timeout: 1) != nil, "\(node.transcript)")
            print(
                "bgp: a restarted peer's new connection replaced the old one; established again after "
                    + String(format: "%.2f s (hold time 90 s)", took))
        }
    }

    @Test("nodeSelectors: a peer that does not select the node gets no session; one that does, does")
    func nodeSelectors() throws {
        try withLab { lab in
            let bird = try Bird(lab: lab)
            defer { bird.stop() }
            let config =
                #"{"myASN":64513,"routerID":"198.51.100.11","peers":[{"address":"198.51.100.1","asn":64512,"nodeSelectors":[{"matchLabels":{"rack":"r1"}},{"matchExpressions":[{"key":"edge","operator":"Exists"}]}]}]}"#
            let other = try BGPHarness(namespace: lab.nodes[0], config: config, labels: ["rack": "r2"])
            #expect(!LabShell.wait(3) { bird.established > 0 })
            #expect(other.lines.contains { $0.contains("does not select node") })
            other.stop()
            let r1 = try BGPHarness(namespace: lab.nodes[0], config: config, labels: ["rack": "r1"])
            #expect(LabShell.wait(15) { bird.established == 1 })
            r1.stop()
            #expect(LabShell.wait(10) { bird.established == 0 })
            let edge = try BGPHarness(namespace: lab.nodes[0], config: config, labels: ["edge": "", "rack": "r9"])
            defer { edge.stop() }
            #expect(LabShell.wait(15) { bird.established == 1 })
        }
    }

    @Test("sourceAddress: the session and the next hop use the configured local address")
    func sourceAddress() throws {
        try withLab { lab in
            try LabShell.must("ip -n \(lab.nodes[0]) addr add 198.51.100.21/24 dev eth0")
            let bird = try Bird(lab: lab)
            defer { bird.stop() }
            let config =
                #"{"myASN":64513,"routerID":"198.51.100.11","peers":[{"address":"198.51.100.1","asn":64512,"sourceAddress":"198.51.100.21"}]}"#
            let node = try BGPHarness(namespace: lab.nodes[0], config: config)
            defer { node.stop() }
            #expect(LabShell.wait(15) { bird.established == 1 })
            try node.command("announce vip 192.0.2.70/32")
            #expect(
                LabShell.wait(10) { bird.routes("192.0.2.70/32", table: "t4").contains("BGP.next_hop: 198.51.100.21") })
            #expect(bird.query("show protocols all").contains("Neighbor address: 198.51.100.21"))
        }
    }

    @Test("ROUTE-REFRESH from BIRD makes the plugin send its table again")
    func routeRefresh() throws {
        try withLab { lab in
            let bird = try Bird(lab: lab)
            defer { bird.stop() }
            let config = #"{"myASN":64513,"routerID":"198.51.100.11","peers":[{"address":"198.51.100.1","asn":64512}]}"#
            let node = try BGPHarness(namespace: lab.nodes[0], config: config)
            defer { node.stop() }
            #expect(LabShell.wait(15) { bird.established == 1 })
            for i in 0..<20 { try node.command("announce r\(i) 192.0.2.\(200 + i)/32") }
            #expect(LabShell.wait(10) { bird.count(table: "t4") == 20 })
            let key = #"bgp_prefixes_announced_total{peer="198.51.100.1"}"#
            #expect(try node.metrics()[key] == 20)
            let protocolName =
                bird.query("show protocols").split(separator: "\n").first { $0.contains("Established") }?
                .split(separator: " ").first.map(String.init) ?? "?"
            _ = bird.query("reload in \(protocolName)")
            #expect(LabShell.wait(10) { ((try? node.metrics()[key]) ?? 0) == 40 }, "\(node.transcript)")
            #expect(bird.count(table: "t4") == 20)
        }
    }
}
