import Foundation
import Testing

extension NamespaceTests {
    /// Round-trip times reported by iputils arping, in milliseconds.
    func arpingTimes(_ t: Topology, _ address: String, count: Int) -> [Double] {
        // One probe per arping run (iputils arping takes whole seconds as its interval), all in one shell.
        let result = t.inRouter(
            "sh -c 'for i in $(seq \(count)); do arping -c 1 -w 1 -I br0 \(address); done'")
        return result.output.split(separator: "\n").compactMap { line -> Double? in
            guard line.contains("reply from"), let word = line.split(separator: " ").last, word.hasSuffix("ms")
            else { return nil }
            return Double(word.dropLast(2))
        }
    }

    func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }

    @Test("benchmark: arping RTT to a Herald-answered address vs a kernel-answered one; CPU per 10,000 requests")
    func benchmark() throws {
        try withTopology { t in
            let node1 = try HarnessProcess(namespace: t.nodes[0], plugin: try Products.arp())
            defer { node1.stop() }
            try node1.command("announce bench 198.51.100.80/32")
            // Warm both paths, then alternate rounds so that load from elsewhere hits both alike.
            _ = arpingTimes(t, "198.51.100.80", count: 5)
            _ = arpingTimes(t, "198.51.100.11", count: 5)
            var herald: [Double] = []
            var kernel: [Double] = []
            for _ in 0..<5 {
                herald += arpingTimes(t, "198.51.100.80", count: 40)
                kernel += arpingTimes(t, "198.51.100.11", count: 40)
            }
            #expect(
                herald.count >= 190 && kernel.count >= 190, "replies: herald \(herald.count), kernel \(kernel.count)")
            let ratio = median(herald) / median(kernel)
            Measurements.record(
                String(
                    format: "arping_rtt_median_ms herald=%.3f kernel=%.3f ratio=%.2f (n=%d/%d)", median(herald),
                    median(kernel), ratio, herald.count, kernel.count))
            #expect(ratio <= 1.5, "Herald's median RTT is \(ratio)x the kernel's")

            // CPU: 10,000 ARP requests for the address, sent from the router as fast as the tool can.
            let before = try node1.metrics()["arp_requests_total{address=\"198.51.100.80\"}"] ?? 0
            let cpuBefore = node1.cpuSeconds()
            let flood = t.inRouter("\(L2Tool.command) arpflood br0 10000 198.51.100.80")
            #expect(flood.output.contains("sent 10000"), "\(flood.output)")
            var seen = 0.0
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                seen = (try node1.metrics()["arp_requests_total{address=\"198.51.100.80\"}"] ?? 0) - before
                if seen >= 10_000 { break }
                usleep(50_000)
            }
            let cpu = node1.cpuSeconds() - cpuBefore
            // What the kernel dropped before the plugin could read it (a full receive buffer) is counted, not lost.
            let socketDrops = try node1.metrics().filter { $0.key.hasPrefix("arp_socket_drops_total{") }.values
                .reduce(0, +)
            #expect(seen + socketDrops <= 10_000, "seen \(seen) + dropped \(socketDrops) > sent")
            // A flood at full speed can overflow the socket's receive buffer on a loaded machine (the kernel drops those
            // frames before Herald sees them); the CPU figure is normalised to the requests actually handled.
            #expect(seen >= 5_000, "only \(seen) of 10,000 requests reached the responder")
            let per10k = cpu / max(seen, 1) * 10_000 * 1000
            Measurements.record(
                String(
                    format: "cpu_ms_per_10k_requests %.1f (requests seen %.0f, dropped by the kernel %.0f, cpu %.3f s)",
                    per10k, seen, socketDrops, cpu))
            #expect(per10k < 2_000, "CPU per 10,000 requests: \(per10k) ms")
        }
    }
}
