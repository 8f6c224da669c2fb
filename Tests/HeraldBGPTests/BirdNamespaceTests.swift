import Foundation
import Testing

/// The plugin against BIRD 2 in network namespaces: routes, attributes, withdrawals, paths from two nodes, a peer
/// restart, TCP MD5, device binding and Graceful Restart. Serialized: each builds and tears down its own lab.
/// Needs root; installs BIRD and GoBGP if missing (scripts/bgp-test-deps).
@Suite(.serialized)
struct BirdNamespaceTests {
    static func ebgpConfig(
        peer: String = "198.51.100.1", extra: String = "", families: String? = nil, routerID: Bool = true
    ) -> String {
        let familyKey = families.map { #","families":\#($0)"# } ?? ""
        let id = routerID ? #""routerID":"198.51.100.11","# : ""
        return #"{"myASN":64513,\#(id)"peers":[{"address":"\#(peer)","asn":64512\#(familyKey)\#(extra)}]}"#
    }

    func withLab(nodes: Int = 1, _ body: (BGPLab) throws -> Void) throws {
        try LabShell.requireTools()
        let lab = try BGPLab(nodes: nodes)
        defer { lab.destroy() }
        try body(lab)
    }

    @Test(
        "eBGP: IPv4 and IPv6 routes reach BIRD with next hop, communities, large communities and MED; withdraw removes them"
    )
    func ebgpRoutesAndAttributes() throws {
        try withLab { lab in
            let bird = try Bird(lab: lab)
            defer { bird.stop() }
            let config =
                #"{"myASN":64513,"peers":[{"address":"198.51.100.1","asn":64512},{"address":"2001:db8::1","asn":64512}]}"#
            // No routerID: the plugin takes the node's first IPv4 address.
            let node = try BGPHarness(
                namespace: lab.nodes[0], config: config, addresses: ["2001:db8::11", "198.51.100.11"])
            defer { node.stop() }
            #expect(LabShell.wait(15) { bird.established == 2 }, "\(bird.query("show protocols all"))")
            let attributes = #"{"communities":["64512:100","no-export"],"largeCommunities":["64512:1:2"],"med":7}"#
            try node.command("announce v4 192.0.2.10/32 \(attributes)")
            try node.command("announce v6 2001:db8:4e::10/128 \(attributes)")
            #expect(LabShell.wait(10) { !bird.routes("192.0.2.10/32", table: "t4").isEmpty })
            #expect(LabShell.wait(10) { !bird.routes("2001:db8:4e::10/128", table: "t6").isEmpty })
            let v4 = bird.routes("192.0.2.10/32", table: "t4")
            #expect(v4.contains("BGP.next_hop: 198.51.100.11"), "\(v4)")
            #expect(v4.contains("BGP.as_path: 64513"), "\(v4)")
            #expect(v4.contains("BGP.community: (64512,100) (65535,65281)"), "\(v4)")
            #expect(v4.contains("BGP.large_community: (64512, 1, 2)"), "\(v4)")
            #expect(v4.contains("BGP.med: 7"), "\(v4)")
            let v6 = bird.routes("2001:db8:4e::10/128", table: "t6")
            #expect(v6.contains("BGP.next_hop: 2001:db8::11"), "\(v6)")
            #expect(v6.contains("BGP.community: (64512,100) (65535,65281)"), "\(v6)")
            // The BGP Identifier defaulted to the node's first IPv4 address.
            let neighborID = bird.query("show protocols all").split(separator: "\n").filter {
                $0.contains("Neighbor ID")
            }
            #expect(!neighborID.isEmpty && neighborID.allSatisfy { $0.contains("198.51.100.11") }, "\(neighborID)")

            try node.command("withdraw v4")
            try node.command("withdraw v6")
            #expect(LabShell.wait(10) { bird.routes("192.0.2.10/32", table: "t4").isEmpty })
            #expect(LabShell.wait(10) { bird.routes("2001:db8:4e::10/128", table: "t6").isEmpty })
            let metrics = try node.metrics()
            #expect(metrics[#"bgp_session_state{peer="198.51.100.1"}"#] == 6)
            #expect((metrics[#"bgp_session_uptime_seconds{peer="198.51.100.1"}"#] ?? 0) > 0)
            #expect(metrics[#"bgp_prefixes_withdrawn_total{peer="198.51.100.1"}"#] == 1)
            #expect(metrics[#"bgp_prefixes_announced_total{peer="2001:db8::1"}"#] == 1)
            #expect(node.lines.contains { $0.hasPrefix("event Normal PeerUp") })
        }
    }

    @Test("iBGP: local preference and next hops arrive; many prefixes arrive packed")
    func ibgpLocalPreference() throws {
        try withLab { lab in
            let bird = try Bird(lab: lab, localASN: 64512, peerASN: 64512)
            defer { bird.stop() }
            let config =
                #"{"myASN":64512,"routerID":"198.51.100.11","peers":[{"address":"198.51.100.1","asn":64512,"families":["ipv4","ipv6"]}]}"#
            let node = try BGPHarness(
                namespace: lab.nodes[0], config: config, addresses: ["198.51.100.11", "2001:db8::11"])
            defer { node.stop() }
            #expect(LabShell.wait(15) { bird.established == 1 })
            try node.command(#"announce v4 192.0.2.20/32 {"localPreference":250,"communities":["64512:7"]}"#)
            try node.command(#"announce v6 2001:db8:4e::20/128 {"localPreference":250}"#)
            #expect(LabShell.wait(10) { bird.routes("192.0.2.20/32", table: "t4").contains("BGP.local_pref: 250") })
            let v4 = bird.routes("192.0.2.20/32", table: "t4")
            #expect(v4.contains("BGP.next_hop: 198.51.100.11"), "\(v4)")
            let path = v4.split(separator: "\n").first { $0.contains("BGP.as_path:") }
            #expect(path != nil && !path!.contains { $0.isNumber }, "an iBGP route has an empty AS_PATH: \(v4)")
            // IPv6 over the IPv4 session: the next hop is the node's IPv6 address.
            #expect(
                LabShell.wait(10) { bird.routes("2001:db8:4e::20/128", table: "t6").contains("BGP.local_pref: 250") })
            #expect(bird.routes("2001:db8:4e::20/128", table: "t6").contains("2001:db8::11"))
            for i in 0..<500 { node.send("announce many\(i) 10.20.\(i / 256).\(i % 256)/32 {}") }
            #expect(LabShell.wait(20) { bird.count(table: "t4") == 501 }, "\(bird.count(table: "t4"))")
            let metrics = try node.metrics()
            let updates = metrics[#"bgp_updates_sent_total{peer="198.51.100.1"}"#] ?? 0
            #expect(updates < 500, "prefixes are packed into UPDATEs: \(updates) UPDATEs")
        }
    }

    @Test("two nodes announcing one address give BIRD two paths")
    func twoNodesTwoPaths() throws {
        try withLab(nodes: 2) { lab in
            let bird = try Bird(lab: lab)
            defer { bird.stop() }
            let node1 = try BGPHarness(namespace: lab.nodes[0], config: Self.ebgpConfig())
            defer { node1.stop() }
            let node2 = try BGPHarness(
                namespace: lab.nodes[1],
                config: #"{"myASN":64513,"routerID":"198.51.100.12","peers":[{"address":"198.51.100.1","asn":64512}]}"#)
            defer { node2.stop() }
            #expect(LabShell.wait(15) { bird.established == 2 })
            try node1.command("announce vip 192.0.2.30/32")
            try node2.command("announce vip 192.0.2.30/32")
            #expect(
                LabShell.wait(10) {
                    let text = bird.routes("192.0.2.30/32", table: "t4")
                    return text.contains("via 198.51.100.11") && text.contains("via 198.51.100.12")
                }, "\(bird.routes("192.0.2.30/32", table: "t4"))")
            try node1.command("withdraw vip")
            #expect(
                LabShell.wait(10) {
                    let text = bird.routes("192.0.2.30/32", table: "t4")
                    return !text.contains("via 198.51.100.11") && text.contains("via 198.51.100.12")
                })
        }
    }

    @Test("after BIRD restarts, the session comes back with every route")
    func peerRestartBringsRoutesBack() throws {
        try withLab { lab in
            let bird = try Bird(lab: lab)
            defer { bird.stop() }
            let node = try BGPHarness(namespace: lab.nodes[0], config: Self.ebgpConfig())
            defer { node.stop() }
            #expect(LabShell.wait(15) { bird.established == 1 })
            for i in 0..<50 { try node.command("announce r\(i) 192.0.2.\(100 + i)/32") }
            #expect(LabShell.wait(10) { bird.count(table: "t4") == 50 })
            bird.stop()
            #expect(LabShell.wait(40) { node.lines.contains { $0.hasPrefix("event Warning PeerDown") } })
            try bird.start()
            #expect(LabShell.wait(40) { bird.count(table: "t4") == 50 }, "\(bird.query("show protocols all"))")
            let metrics = try node.metrics()
            #expect(metrics[#"bgp_session_flaps_total{peer="198.51.100.1"}"#] == 1)
        }
    }

    @Test("TCP MD5: the right password brings the session up, a wrong one does not")
    func md5Password() throws {
        try withLab(nodes: 2) { lab in
            let extra = """
                protocol bgp md5a from nodes { neighbor 198.51.100.11 as 64513; passive on; password "s3cret-Herald"; }
                protocol bgp md5b from nodes { neighbor 198.51.100.12 as 64513; passive on; password "s3cret-Herald"; }

                """
            let bird = try Bird(lab: lab, extra: extra, ranges: false)
            defer { bird.stop() }
            let good = try lab.write("good.password", "s3cret-Herald\n", mode: 0o600)
            let bad = try lab.write("bad.password", "not-the-secret\n", mode: 0o600)
            let node1 = try BGPHarness(
                namespace: lab.nodes[0], config: Self.ebgpConfig(extra: #","passwordFile":"\#(good)""#))
            defer { node1.stop() }
            let node2 = try BGPHarness(
                namespace: lab.nodes[1],
                config:
                    #"{"myASN":64513,"routerID":"198.51.100.12","peers":[{"address":"198.51.100.1","asn":64512,"passwordFile":"\#(bad)"}]}"#
            )
            defer { node2.stop() }
            #expect(
                LabShell.wait(15) { bird.query("show protocols md5a").contains("Established") },
                "\(bird.query("show protocols all md5a"))")
            // Give the wrong password time to fail several retries.
            Thread.sleep(forTimeInterval: 5)
            #expect(!bird.query("show protocols md5b").contains("Established"))
            let metrics = try node2.metrics()
            #expect(metrics[#"bgp_session_established{peer="198.51.100.1"}"#] == 0)
            #expect(metrics[#"bgp_session_uptime_seconds{peer="198.51.100.1"}"#] == 0)
            node2.send("health")
            #expect(node2.expect("health degraded", timeout: 5) != nil)
        }
    }

    @Test("SO_BINDTODEVICE: bound to the interface facing the peer the session comes up, bound to another it does not")
    func bindToDevice() throws {
        try withLab { lab in
            let bird = try Bird(lab: lab)
            defer { bird.stop() }
            let wrong = try BGPHarness(namespace: lab.nodes[0], config: Self.ebgpConfig(extra: #","vrf":"eth1""#))
            #expect(!LabShell.wait(5) { bird.established > 0 }, "a session bound to eth1 cannot reach 198.51.100.1")
            #expect(try wrong.metrics()[#"bgp_session_established{peer="198.51.100.1"}"#] == 0)
            wrong.stop()
            let right = try BGPHarness(namespace: lab.nodes[0], config: Self.ebgpConfig(extra: #","vrf":"eth0""#))
            defer { right.stop() }
            #expect(LabShell.wait(15) { bird.established == 1 })
            #expect(try right.metrics()[#"bgp_session_established{peer="198.51.100.1"}"#] == 1)
        }
    }

    /// How the first speaker of ``gracefulRestart(_:)`` ends.
    enum Ending: String, CaseIterable, Sendable {
        /// SIGKILL: the connection closes with the process.
        case killed
        /// A stop prepared as a restart (extension herald.lifecycle/1), as `herald run --on-stop=restart` does.
        case restartStop
    }

    @Test(
        "Graceful Restart: a killed speaker, or one stopped for a restart, leaves its routes in BIRD until it is back; a final stop withdraws them",
        arguments: Ending.allCases)
    func gracefulRestart(_ ending: Ending) throws {
        try withLab { lab in
            let bird = try Bird(lab: lab)
            defer { bird.stop() }
            let config = Self.ebgpConfig(extra: #","gracefulRestart":true"#)
            let first = try BGPHarness(namespace: lab.nodes[0], config: config)
            #expect(LabShell.wait(15) { bird.established == 1 })
            try first.command("announce keep 192.0.2.40/32")
            try first.command("announce drop 192.0.2.41/32")
            #expect(LabShell.wait(10) { bird.count(table: "t4") == 2 })
            switch ending {
            case .killed:
                first.kill9()
                first.stop(quit: nil)
            case .restartStop:
                try first.command("prepare-stop restart")
                first.stop()
                #expect(first.transcript.contains("closes without Cease"), "\(first.transcript)")
            }
            #expect(LabShell.wait(10) { bird.query("show protocols all").contains("Neighbor graceful restart active") })
            #expect(bird.count(table: "t4") == 2, "BIRD keeps the routes as stale while the speaker restarts")

            let second = try BGPHarness(namespace: lab.nodes[0], config: config)
            // The host announces only after the session is back up: the plugin holds back its table and End-of-RIB
            // until the announcements settle, so BIRD never drops the stale route that comes back.
            var keptThroughout = true
            let sample = { if bird.routes("192.0.2.40/32", table: "t4").isEmpty { keptThroughout = false } }
            #expect(
                LabShell.wait(10) {
                    sample()
                    return bird.established == 1
                })
            for _ in 0..<6 {
                sample()
                usleep(50_000)
            }
            try second.command("announce keep 192.0.2.40/32")
            // After End-of-RIB, BIRD drops the stale route that was not announced again, and keeps the other.
            #expect(
                LabShell.wait(20) {
                    sample()
                    return bird.routes("192.0.2.41/32", table: "t4").isEmpty
                }, "\(bird.query("show protocols all"))")
            #expect(keptThroughout, "the route announced again was never missing from BIRD")
            #expect(!bird.routes("192.0.2.40/32", table: "t4").isEmpty)
            #expect(!bird.query("show protocols all").contains("Neighbor graceful restart active"))

            // A final stop (what the host does on SIGTERM by default): the plugin keeps nothing (error -4: the host
            // withdraws first) and its stop sends Cease, so BIRD withdraws at once.
            #expect(throws: BGPHarness.HarnessFailure.self) { try second.command("prepare-stop final") }
            #expect(second.transcript.contains("error -4"), "\(second.transcript)")
            second.stop()
            #expect(LabShell.wait(10) { bird.count(table: "t4") == 0 }, "\(bird.query("show route all table t4"))")
        }
    }

    @Test("A restart keeps nothing at a peer without gracefulRestart: the plugin says so and its stop sends Cease")
    func restartStopWithoutGracefulRestartWithdraws() throws {
        try withLab { lab in
            let bird = try Bird(lab: lab)
            defer { bird.stop() }
            let node = try BGPHarness(namespace: lab.nodes[0], config: Self.ebgpConfig())
            #expect(LabShell.wait(15) { bird.established == 1 })
            try node.command("announce keep 192.0.2.44/32")
            #expect(LabShell.wait(10) { bird.count(table: "t4") == 1 })
            #expect(throws: BGPHarness.HarnessFailure.self) { try node.command("prepare-stop restart") }
            #expect(node.transcript.contains("error -4"), "\(node.transcript)")
            node.stop()
            #expect(LabShell.wait(10) { bird.count(table: "t4") == 0 }, "\(bird.query("show route all table t4"))")
        }
    }

    @Test("gracefulRestartTime: BIRD keeps a killed speaker's routes as stale for the configured time, then drops them")
    func gracefulRestartTime() throws {
        try withLab { lab in
            let bird = try Bird(lab: lab)
            defer { bird.stop() }
            let config = Self.ebgpConfig(extra: #","gracefulRestart":true,"gracefulRestartTime":4"#)
            let node = try BGPHarness(namespace: lab.nodes[0], config: config)
            #expect(LabShell.wait(15) { bird.established == 1 })
            try node.command("announce keep 192.0.2.42/32")
            #expect(LabShell.wait(10) { bird.count(table: "t4") == 1 })
            node.kill9()
            let start = Date()
            node.stop(quit: nil)
            #expect(LabShell.wait(10) { bird.query("show protocols all").contains("Neighbor graceful restart active") })
            #expect(bird.count(table: "t4") == 1, "BIRD keeps the route as stale while the restart time runs")
            #expect(LabShell.wait(15, interval: 0.05) { bird.count(table: "t4") == 0 }, "the stale route stayed")
            let kept = Date().timeIntervalSince(start)
            // 4 s, and BIRD's notice of the closed connection before it.
            #expect(kept > 3.5 && kept < 7, "the stale route went after \(kept) s, not after the 4 s restart time")
            print(
                "graceful restart time 4 s: BIRD dropped the stale route \(String(format: "%.2f", kept)) s after the kill"
            )
        }
    }
}
