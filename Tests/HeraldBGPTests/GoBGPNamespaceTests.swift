import Foundation
import Testing

/// The plugin against GoBGP in network namespaces.
@Suite(.serialized)
struct GoBGPNamespaceTests {
    @Test("GoBGP holds IPv4 and IPv6 routes with their communities, and drops them on withdraw")
    func routesReachGoBGP() throws {
        try LabShell.requireTools()
        let lab = try BGPLab()
        defer { lab.destroy() }
        let gobgp = try GoBGP(lab: lab)
        defer { gobgp.stop() }
        let config =
            #"{"myASN":64513,"routerID":"198.51.100.11","peers":[{"address":"198.51.100.1","asn":64512,"families":["ipv4","ipv6"]}]}"#
        let node = try BGPHarness(
            namespace: lab.nodes[0], config: config, addresses: ["198.51.100.11", "2001:db8::11"])
        defer { node.stop() }
        #expect(LabShell.wait(30) { gobgp.establishedNeighbors == 1 }, "\(gobgp.query("neighbor"))")
        try node.command(#"announce a 192.0.2.50/32 {"communities":["64512:100"],"largeCommunities":["64512:1:2"]}"#)
        try node.command("announce b 2001:db8:4e::50/128")
        #expect(LabShell.wait(10) { gobgp.rib("ipv4")["192.0.2.50/32"] != nil }, "\(gobgp.query("global rib -a ipv4"))")
        #expect(
            LabShell.wait(10) { gobgp.rib("ipv6")["2001:db8:4e::50/128"] != nil },
            "\(gobgp.query("global rib -a ipv6"))")
        let text = gobgp.query("global rib -a ipv4 -j")
        #expect(text.contains("\(64512 << 16 | 100)"), "COMMUNITIES 64512:100 as a number: \(text)")
        #expect(text.contains(#""nexthop":"198.51.100.11""#), "\(text)")
        let shown = gobgp.query("global rib -a ipv4")
        #expect(shown.contains("64512:1:2"), "\(shown)")
        let v6 = gobgp.query("global rib -a ipv6 -j")
        #expect(v6.contains(#""nexthop":"2001:db8::11""#), "\(v6)")
        try node.command("withdraw a")
        try node.command("withdraw b")
        #expect(LabShell.wait(10) { gobgp.rib("ipv4")["192.0.2.50/32"] == nil })
        #expect(LabShell.wait(10) { gobgp.rib("ipv6")["2001:db8:4e::50/128"] == nil })
    }
}
