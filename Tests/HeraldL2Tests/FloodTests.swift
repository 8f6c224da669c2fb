import Foundation
import Testing

extension NamespaceTests {
    @Test("a flood of random and malformed frames leaves both responders running and answering")
    func floodOfMalformedFrames() throws {
        try withTopology { t in
            let arp = try HarnessProcess(namespace: t.nodes[0], plugin: try Products.arp())
            defer { arp.stop() }
            let ndp = try HarnessProcess(namespace: t.nodes[1], plugin: try Products.ndp())
            defer { ndp.stop() }
            try arp.command("announce v4 198.51.100.50/32")
            try ndp.command("announce v6 2001:db8::99/128")

            // 16,000 frames: random bytes, ARP with random bodies, oversized and VLAN-tagged ARP, truncated and
            // corrupted solicitations, zero-length options (see L2Tool.cmd_flood).
            let flood = t.inRouter("\(L2Tool.command) flood br0 16000 \(getpid())")
            #expect(flood.output.contains("sent 16000"), "\(flood.output)")
            usleep(300_000)

            #expect(arp.isRunning && ndp.isRunning, "a responder died:\n\(arp.transcript)\n\(ndp.transcript)")
            #expect(t.arping("198.51.100.50") == (try t.mac(t.nodes[0])))
            #expect(t.ndisc6("2001:db8::99") == (try t.mac(t.nodes[1])))
            let arpMetrics = try arp.metrics()
            let ndpMetrics = try ndp.metrics()
            let arpDrops = arpMetrics.filter { $0.key.hasPrefix("arp_drops_total") }.values.reduce(0, +)
            let ndpDrops = ndpMetrics.filter { $0.key.hasPrefix("ndp_drops_total") }.values.reduce(0, +)
            #expect(arpDrops > 1000, "ARP drops counted: \(arpDrops)")
            #expect(ndpDrops > 1000, "NDP drops counted: \(ndpDrops)")
            #expect((arpMetrics["arp_drops_total{reason=\"oversized\"}"] ?? 0) > 0)
            #expect((ndpMetrics["ndp_drops_total{reason=\"bad_checksum\"}"] ?? 0) > 0)
            Measurements.record("flood_drops arp=\(Int(arpDrops)) ndp=\(Int(ndpDrops))")
            arp.send("health")
            #expect(arp.expect("health ok", timeout: 3) != nil)
        }
    }
}
