import Foundation
import Testing

extension NamespaceTests {
    /// Sends one ARP request for `address` from the router's br0, tagged with `vid` ("none": untagged); the replies
    /// addressed to the router, as "reply MAC tag=VID|none" lines, or ["none"].
    func taggedARP(_ t: Topology, _ address: String, vid: String) -> [String] {
        t.inRouter("\(L2Tool.command) arp br0 \(address) \(vid)").output.split(separator: "\n").map(String.init)
    }

    /// The kernel here has no 802.1Q devices, so a tagged frame reaches node 1's eth0 with its tag removed and marked
    /// as not for this host; answering it (untagged) would put the address on the wrong segment.
    @Test("requests tagged for another VLAN reach the plugins but are never answered on the untagged link")
    func vlanTaggedRequestsAreNotAnsweredOnTheUntaggedLink() throws {
        try withTopology { t in
            let mac = try t.mac(t.nodes[0])
            let arp = try HarnessProcess(namespace: t.nodes[0], plugin: try Products.arp())
            defer { arp.stop() }
            let ndp = try HarnessProcess(namespace: t.nodes[0], plugin: try Products.ndp())
            defer { ndp.stop() }
            try arp.command("announce v4 198.51.100.61/32")
            try ndp.command("announce v6 2001:db8::61/128")

            #expect(taggedARP(t, "198.51.100.61", vid: "none") == ["reply \(mac) tag=none"])
            let arpIgnored = try arp.metrics()["arp_ignored_total{}"] ?? -1
            for vid in ["100", "4094"] {
                #expect(taggedARP(t, "198.51.100.61", vid: vid) == ["none"], "VLAN \(vid) request answered")
            }
            let arpMetrics = try arp.metrics()
            #expect(arpMetrics["arp_replies_total{address=\"198.51.100.61\"}"] == 1, "\(arpMetrics)")
            // Both tagged requests did reach the plugin, which ignored them.
            #expect((arpMetrics["arp_ignored_total{}"] ?? 0) >= arpIgnored + 2, "\(arpMetrics)")

            let solicit = "\(L2Tool.command) ns br0 33:33:ff:00:00:61 2001:db8::1 2001:db8::61 slla"
            #expect(t.inRouter(solicit + " none").output.hasPrefix("na "), "untagged NS unanswered")
            let ndpIgnored = try ndp.metrics()["ndp_ignored_total{}"] ?? -1
            // Unicast to node 1's MAC (the bridge's multicast snooping would not forward a tagged multicast frame).
            let unicast = "\(L2Tool.command) ns br0 \(mac) 2001:db8::1 2001:db8::61 noslla"
            #expect(t.inRouter(unicast + " none").output.hasPrefix("na "), "untagged unicast NS unanswered")
            #expect(t.inRouter(unicast + " 100").output.hasPrefix("none"), "VLAN 100 NS answered")
            let ndpMetrics = try ndp.metrics()
            #expect(ndpMetrics["ndp_replies_total{address=\"2001:db8::61\"}"] == 2, "\(ndpMetrics)")
            #expect((ndpMetrics["ndp_ignored_total{}"] ?? 0) >= ndpIgnored + 1, "\(ndpMetrics)")
        }
    }
}
