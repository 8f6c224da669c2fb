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
            // Seeded, so that a failure replays the same frames.
            let seed = 8021
            let flood = t.inRouter("\(L2Tool.command) flood br0 16000 \(seed)")
            #expect(flood.output.contains("sent 16000"), "seed \(seed): \(flood.output)")
            usleep(300_000)

            #expect(
                arp.isRunning && ndp.isRunning, "seed \(seed): a responder died:\n\(arp.transcript)\n\(ndp.transcript)")
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

    @Test("a burst while the plugin cannot read is answered or counted as dropped by the kernel, never lost silently")
    func burstWhileStalledIsAccountedFor() throws {
        try withTopology { t in
            let arp = try HarnessProcess(namespace: t.nodes[0], plugin: try Products.arp())
            defer { arp.stop() }
            try arp.command("announce v4 198.51.100.70/32")
            // Stop the plugin's process, so that its socket's receive buffer fills, then let it go on.
            kill(arp.pid, SIGSTOP)
            let burst = t.inRouter("\(L2Tool.command) arpflood br0 10000 198.51.100.70")
            kill(arp.pid, SIGCONT)
            #expect(burst.output.contains("sent 10000"), "\(burst.output)")
            var seen = 0.0
            var dropped = 0.0
            let deadline = Date().addingTimeInterval(10)
            repeat {
                usleep(100_000)
                let m = try arp.metrics()
                seen = m["arp_requests_total{address=\"198.51.100.70\"}"] ?? 0
                dropped = m.filter { $0.key.hasPrefix("arp_socket_drops_total{interface=\"eth0\"") }.values.reduce(0, +)
            } while seen + dropped < 10_000 && Date() < deadline
            #expect(dropped > 0, "the stalled socket dropped nothing (seen \(seen))")
            #expect(seen + dropped == 10_000, "seen \(seen) + dropped by the kernel \(dropped)")
            Measurements.record("stalled_burst seen=\(Int(seen)) kernel_drops=\(Int(dropped))")
            #expect(t.arping("198.51.100.70") == (try t.mac(t.nodes[0])), "answers again after the burst")
        }
    }
}
