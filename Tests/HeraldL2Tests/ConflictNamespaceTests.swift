import Foundation
import Testing

extension NamespaceTests {
    @Test("another station claiming an announced address is reported once per 30 s as an AddressConflict event")
    func addressConflictIsReported() throws {
        try withTopology { t in
            let node1 = try HarnessProcess(namespace: t.nodes[0], plugin: try Products.arp())
            defer { node1.stop() }
            let routerMAC = try t.mac(t.router, "br0")
            let address = "198.51.100.130"
            try node1.command("announce default/web \(address)/32")
            try node1.command("announce default/other 198.51.100.131/32")
            // The router's own gratuitous ARPs for an address it does not hold are no conflict.
            t.inRouter("arping -U -c 1 -I br0 198.51.100.1")

            // The router takes the address too (a misconfigured server) and announces it with the kernel's tool.
            try Shell.must("ip -n \(t.router) addr add \(address)/32 dev br0")
            let first = t.inRouter("arping -U -c 2 -I br0 -s \(address) \(address)")
            #expect(first.status == 0, "\(first.output)")
            let line =
                "event Warning AddressConflict default/web arp: \(address) is also claimed by \(routerMAC) on eth0"
            #expect(node1.waitForLine(containing: [line], timeout: 3) != nil, "\(node1.transcript)")

            // More claims within 30 s: counted, but no second event. A reply form (arping -A) counts as well.
            let more = t.inRouter("arping -A -c 2 -I br0 -s \(address) \(address)")
            #expect(more.status == 0, "\(more.output)")
            usleep(300_000)
            let metrics = try node1.metrics()
            #expect(metrics["arp_conflicts_total{address=\"\(address)\"}"] == 4, "\(metrics)")
            let events = node1.lines.filter { $0.hasPrefix("event Warning AddressConflict") }
            #expect(events == [line], "\(node1.transcript)")
            // The other address and the router's own are never reported; answering goes on.
            #expect(!node1.transcript.contains("198.51.100.131 is also claimed"))
            #expect(!node1.transcript.contains("198.51.100.1 is also claimed"))
            #expect(metrics["arp_conflicts_total{address=\"198.51.100.131\"}"] == nil)
            #expect(t.arping("198.51.100.131") == (try t.mac(t.nodes[0])))
        }
    }

    @Test("a Neighbor Advertisement from another station for an announced address is reported once per 30 s")
    func ndpAddressConflictIsReported() throws {
        try withTopology { t in
            let node2 = try HarnessProcess(namespace: t.nodes[1], plugin: try Products.ndp())
            defer { node2.stop() }
            let address = "2001:db8::150"
            try node2.command("announce default/web6 \(address)/128")
            try node2.command("announce default/other6 2001:db8::151/128")

            // The router takes the address too; with ndisc_notify its kernel sends an unsolicited advertisement for
            // each of its addresses whenever the link's hardware address changes (two changes, two advertisements).
            try Shell.must("ip netns exec \(t.router) sysctl -qw net.ipv6.conf.br0.ndisc_notify=1")
            try Shell.must("ip -n \(t.router) addr add \(address)/128 dev br0 nodad")
            try Shell.must("ip -n \(t.router) link set br0 address 02:aa:bb:cc:dd:ee")
            let line =
                "event Warning AddressConflict default/web6 ndp: \(address) is also claimed by 02:aa:bb:cc:dd:ee on eth0"
            #expect(node2.waitForLine(containing: [line], timeout: 3) != nil, "\(node2.transcript)")
            try Shell.must("ip -n \(t.router) link set br0 address 02:aa:bb:cc:dd:ef")
            var conflicts = 0.0
            let deadline = Date().addingTimeInterval(3)
            repeat {
                usleep(100_000)
                conflicts = try node2.metrics()["ndp_conflicts_total{address=\"\(address)\"}"] ?? 0
            } while conflicts < 2 && Date() < deadline
            #expect(conflicts == 2, "the second advertisement was not seen")
            let events = node2.lines.filter { $0.hasPrefix("event Warning AddressConflict") }
            #expect(events == [line], "\(node2.transcript)")
            // The router's advertisements for its own addresses are no conflict; answering goes on.
            #expect(t.ndisc6("2001:db8::151") == (try t.mac(t.nodes[1])))
        }
    }
}
