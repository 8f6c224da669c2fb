import Foundation
import Testing

/// Measurements of the namespace tests, printed and appended to a report file for the run.
enum Measurements {
    static let path = NSTemporaryDirectory() + "herald-l2-measurements.txt"

    static func record(_ line: String) {
        print("measurement: \(line)")
        let text = line + "\n"
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try? handle.close()
        } else {
            try? text.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}

extension NamespaceTests {
    /// Moves an address from node1 to node2 and measures the time from sending node2's announce to the router
    /// kernel's neighbour notification with node2's MAC (`ip monitor neigh`), with no request from the router in
    /// between (node2's request counter stays at zero).
    func takeover(plugin: String, address: String, ping: String, prefix: String, metric: String) throws -> Double {
        var elapsed = -1.0
        try withTopology { t in
            let node1 = try HarnessProcess(namespace: t.nodes[0], plugin: plugin)
            defer { node1.stop() }
            let node2 = try HarnessProcess(namespace: t.nodes[1], plugin: plugin)
            defer { node2.stop() }
            let mac1 = try t.mac(t.nodes[0])
            let mac2 = try t.mac(t.nodes[1])
            try node1.command("announce vip \(address)/\(prefix)")
            // The router resolves the address through its own kernel (the ping itself gets no answer: nobody holds
            // the address at the IP layer).
            t.inRouter("\(ping) -c 1 -W 1 \(address)")
            #expect(t.neighbour(address) == mac1, "the router did not learn node1's MAC")

            // Watch the router's neighbour table; each change is stamped when it arrives.
            let monitor = try HarnessProcess(arguments: ["-n", t.router, "monitor", "neigh", "dev", "br0"])
            defer { monitor.stop(quit: nil) }
            usleep(300_000)
            try node1.command("withdraw vip")
            let mark = monitor.lineCount
            let start = HarnessProcess.monotonicNanoseconds()
            node2.send("announce vip \(address)/\(prefix)")
            let arrival = monitor.waitForLine(containing: [address + " ", mac2], from: mark, timeout: 2)
            #expect(arrival != nil, "no neighbour update to node2's MAC:\n\(monitor.transcript)")
            if let arrival { elapsed = Double(arrival - start) / 1e6 }
            #expect(t.neighbour(address) == mac2, "the router's entry does not show node2's MAC")
            let asked = try node2.metrics()["\(metric){address=\"\(address)\"}"] ?? 0
            #expect(asked == 0, "the router asked node2 \(asked) times: the update was not unsolicited")
        }
        return elapsed
    }

    @Test(
        "takeover: the router's neighbour entry shows node2's MAC within 100 ms, unasked",
        arguments: ["ipv4", "ipv6"])
    func takeover(family: String) throws {
        let v4 = family == "ipv4"
        let ms = try takeover(
            plugin: v4 ? try Products.arp() : try Products.ndp(), address: v4 ? "198.51.100.70" : "2001:db8::70",
            ping: v4 ? "ping" : "ping -6", prefix: v4 ? "32" : "128",
            metric: v4 ? "arp_requests_total" : "ndp_requests_total")
        Measurements.record(String(format: "takeover_\(family)_ms %.1f", ms))
        #expect(ms >= 0 && ms < 100, "took \(ms) ms")
    }
}
