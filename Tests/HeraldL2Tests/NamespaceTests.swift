import Foundation
import Testing

/// End-to-end tests in network namespaces, with the router namespace's kernel and the iputils/ndisc6 tools as peers.
/// Serialized: they measure timings on a shared machine. Needs root; installs missing tools (scripts/l2-test-deps).
@Suite(.serialized)
struct NamespaceTests {
    /// Builds a fresh topology, runs the body, and always deletes the namespaces.
    func withTopology(_ body: (Topology) throws -> Void) throws {
        try Products.requireTools()
        let topology = try Topology()
        defer { topology.destroy() }
        try body(topology)
    }

    @Test("arping gets node1's MAC only while node1 announces the address")
    func arpAnswersWhileAnnounced() throws {
        try withTopology { t in
            let node1 = try HarnessProcess(namespace: t.nodes[0], plugin: try Products.arp())
            defer { node1.stop() }
            let mac = try t.mac(t.nodes[0])
            #expect(t.arping("198.51.100.50") == nil, "answered before any announce")
            try node1.command("announce vip 198.51.100.50/32")
            #expect(t.arping("198.51.100.50") == mac)
            // The second and third probes are unicast to the learned MAC (iputils arping): all three are answered.
            let unicast = t.inRouter("arping -c 3 -w 3 -I br0 198.51.100.50")
            #expect(unicast.output.contains("Received 3 response(s)"), "\(unicast.output)")
            let metrics = try node1.metrics()
            #expect(metrics["arp_replies_total{address=\"198.51.100.50\"}"] == 4)
            #expect((metrics["arp_gratuitous_total{address=\"198.51.100.50\"}"] ?? 0) >= 2)
            try node1.command("withdraw vip")
            #expect(t.arping("198.51.100.50") == nil, "answered after withdraw")
            // The address's own series end with it (so /metrics does not grow with churn).
            let after = try node1.metrics()
            #expect(after["arp_announced_addresses{}"] == 0)
            #expect(!after.keys.contains { $0.contains("198.51.100.50") }, "\(after)")
        }
    }

    @Test("ndisc6 gets the advertisement only while announced; NUD and DAD probes are answered correctly")
    func ndpAnswersWhileAnnounced() throws {
        try withTopology { t in
            let node2 = try HarnessProcess(namespace: t.nodes[1], plugin: try Products.ndp())
            defer { node2.stop() }
            let mac = try t.mac(t.nodes[1])
            let routerMAC = try t.mac(t.router, "br0")
            #expect(t.ndisc6("2001:db8::50") == nil, "answered before any announce")
            let groups = "ip -n \(t.nodes[1]) -6 maddr show dev eth0"
            #expect(!Shell.run(groups).output.contains("ff02::1:ff00:50"))
            try node2.command("announce vip6 2001:db8::50/128")
            #expect(t.ndisc6("2001:db8::50") == mac)
            // The solicited-node group is joined at the IPv6 layer too (so the kernel sends MLD reports).
            #expect(Shell.run(groups).output.contains("ff02::1:ff00:50"), "\(Shell.run(groups).output)")

            // A unicast NUD probe without a source link-layer option: answered to the frame's source, S=1 O=1.
            let nud = t.inRouter("\(L2Tool.command) ns br0 \(mac) 2001:db8::1 2001:db8::50 noslla").output
            #expect(
                nud.contains("na ethdst=\(routerMAC) src=2001:db8::50 dst=2001:db8::1 hop=255 flags=0x60 tlla=\(mac)"),
                "\(nud)")
            // A DAD probe from the unspecified address: answered to all nodes, S=0 O=1 (RFC 4861 section 7.2.4).
            let dad = t.inRouter("\(L2Tool.command) ns br0 33:33:ff:00:00:50 :: 2001:db8::50 noslla").output
            #expect(dad.contains("dst=ff02::1 hop=255 flags=0x20 tlla=\(mac)"), "\(dad)")

            let metrics = try node2.metrics()
            #expect(metrics["ndp_replies_total{address=\"2001:db8::50\"}"] == 3)
            #expect((metrics["ndp_gratuitous_total{address=\"2001:db8::50\"}"] ?? 0) >= 1)
            try node2.command("withdraw vip6")
            #expect(t.ndisc6("2001:db8::50") == nil, "answered after withdraw")
            #expect(!Shell.run(groups).output.contains("ff02::1:ff00:50"), "the group was not left")
            let after = t.inRouter("\(L2Tool.command) ns br0 \(mac) 2001:db8::1 2001:db8::50 noslla").output
            #expect(after.contains("none"), "\(after)")
            #expect(!(try node2.metrics()).keys.contains { $0.contains("2001:db8::50") })
        }
    }

    @Test("only selected interfaces answer, and an address never announced is never answered")
    func interfaceSelection() throws {
        try withTopology { t in
            let node1 = try HarnessProcess(
                namespace: t.nodes[0], plugin: try Products.arp(), config: #"{"interfaces":["eth1"]}"#)
            defer { node1.stop() }
            let mac1 = try t.mac(t.nodes[0], "eth1")
            try node1.command("announce a 198.51.100.60/32")
            try node1.command("announce b 203.0.113.60/32")
            #expect(t.arping("203.0.113.60", bridge: "br1") == mac1)
            #expect(t.arping("198.51.100.60", bridge: "br0") == nil, "answered on an unselected interface")
            #expect(t.arping("203.0.113.60", bridge: "br0") == nil, "answered on an unselected interface")
            #expect(t.arping("203.0.113.99", bridge: "br1") == nil, "answered for an address never announced")

            // Default selection on node2, narrowed per announcement by the advertisement's `interfaces` attribute.
            let node2 = try HarnessProcess(namespace: t.nodes[1], plugin: try Products.arp())
            defer { node2.stop() }
            let mac2 = try t.mac(t.nodes[1])
            try node2.command(#"announce c 198.51.100.61/32 {"interfaces":["nomatch*"]}"#)
            try node2.command(#"announce d 198.51.100.62/32 {"interfaces":["eth*"]}"#)
            #expect(t.arping("198.51.100.61") == nil, "answered outside the advertisement's interfaces")
            #expect(t.arping("198.51.100.62") == mac2)
            #expect(t.arping("198.51.100.99") == nil, "answered for an address never announced")
        }
    }

    @Test("link down makes the instance unhealthy and link up healthy again; no interface at all is unhealthy")
    func linkHealth() throws {
        try withTopology { t in
            let node2 = try HarnessProcess(namespace: t.nodes[1], plugin: try Products.ndp())
            defer { node2.stop() }
            try Shell.must("ip -n \(t.nodes[1]) link set eth0 down")
            let down = node2.expect("health unhealthy", timeout: 3)
            #expect(down?.contains("eth0") == true, "\(node2.transcript)")
            try Shell.must("ip -n \(t.nodes[1]) link set eth0 up")
            #expect(node2.expect("health ok", timeout: 3) != nil, "\(node2.transcript)")
            try node2.command("announce v 2001:db8::77/128")
            #expect(t.ndisc6("2001:db8::77") == (try t.mac(t.nodes[1])))

            let nothing = try HarnessProcess(
                namespace: t.nodes[0], plugin: try Products.arp(), config: #"{"interfaces":["absent0"]}"#)
            defer { nothing.stop() }
            nothing.send("health")
            #expect(nothing.expect("health unhealthy", timeout: 3) != nil, "\(nothing.transcript)")
        }
    }

    @Test("an interface that appears is followed at once, and one that disappears is dropped")
    func interfacesAppearAndDisappear() throws {
        try withTopology { t in
            let node1 = try HarnessProcess(
                namespace: t.nodes[0], plugin: try Products.arp(), config: #"{"interfaces":["eth9"]}"#)
            defer { node1.stop() }
            node1.send("health")
            #expect(node1.expect("health unhealthy", timeout: 3) != nil, "\(node1.transcript)")
            try node1.command("announce late 198.51.100.90/32")
            #expect(t.arping("198.51.100.90") == nil, "answered with no selected interface")

            // A new link eth9 on the router's bridge: picked up through the netlink notification.
            let veth = "l2z\(t.suffix)"
            try Shell.must(
                """
                ip link add \(veth) type veth peer name eth9 netns \(t.nodes[0]) && ip link set \(veth) netns \(t.router) \
                && ip -n \(t.router) link set \(veth) master br0 up && ip -n \(t.nodes[0]) link set eth9 up
                """)
            #expect(node1.expect("health ok", timeout: 3) != nil, "\(node1.transcript)")
            #expect(node1.transcript.contains("event Normal InterfaceAttached - arp: answering on eth9"))
            let mac9 = try t.mac(t.nodes[0], "eth9")
            #expect(t.arping("198.51.100.90") == mac9)

            try Shell.must("ip -n \(t.nodes[0]) link del eth9")
            #expect(node1.expect("health unhealthy", timeout: 3) != nil, "\(node1.transcript)")
            #expect(
                node1.transcript.contains("event Warning InterfaceDetached - arp: stopped answering on eth9"),
                "\(node1.transcript)")
            #expect(t.arping("198.51.100.90") == nil, "answered after the interface disappeared")
        }
    }
}
