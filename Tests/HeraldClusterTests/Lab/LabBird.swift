import Foundation
import HeraldTestSupport

/// BIRD 2 in the layer-2 lab's router namespace (198.51.100.1, AS 64512), accepting every node of 198.51.100.0/24 as
/// AS `peerASN` (passive `neighbor range`; iBGP when 64512, with `direct` and `gateway direct`) into table t4. With
/// `kernel`, the routes go to the router's kernel with one next hop per node (ECMP, `merge paths`, layer-4 hashing);
/// with `bfd`, BFD at 100 ms × 3 is asked of every session; sessions offer graceful restart. Killed by ``stop()``.
struct LabBird {
    let process: Process
    let socket: String

    init(lab: Lab, peerASN: Int, kernel: Bool = false, bfd: Bool = false) throws {
        socket = "\(lab.directory)/bird.ctl"
        let config = "\(lab.directory)/bird.conf"
        let ibgp = peerASN == 64512
        try """
        router id 198.51.100.1;
        protocol device {}
        ipv4 table t4;
        \(bfd ? #"protocol bfd { interface "*" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }"# : "")
        \(kernel ? "protocol kernel { ipv4 { table t4; export all; }; merge paths on; }" : "")
        protocol bgp nodes {
          local as 64512;
          neighbor range 198.51.100.0/24 as \(peerASN);
          graceful restart on;
          error wait time 1, 5;
          \(ibgp ? "direct;" : "")
          \(bfd ? "bfd on;" : "")
          ipv4 { table t4; import all; export none; \(ibgp ? "gateway direct;" : "") };
        }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        if kernel {
            _ = try TestSupport.run(
                [
                    "/usr/sbin/ip", "netns", "exec", lab.router, "sysctl", "-q", "-w",
                    "net.ipv4.fib_multipath_hash_policy=1",
                ],
                timeout: 10, combineOutput: true)
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", lab.router, "bird", "-f", "-c", config, "-s", socket]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func query(_ command: String) async -> String {
        (try? await Lab.sh("birdc -s \(socket) \(command) 2>&1")) ?? ""
    }

    /// The BGP attributes of each path BIRD holds for `prefix`, by its next hop (the node it came from).
    func paths(_ prefix: String) async -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        var entry: Set<String> = []
        func close() {
            let hop = entry.first { $0.hasPrefix("BGP.next_hop: ") }?.dropFirst("BGP.next_hop: ".count)
            if let hop { result[String(hop)] = entry }
            entry = []
        }
        for line in await query("show route all for \(prefix) table t4").split(separator: "\n") {
            if line.contains("unicast [") { close() }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("BGP.") { entry.insert(text) }
        }
        close()
        return result
    }

    /// The next hops the router's kernel has for `address` (with `kernel`).
    func nextHops(_ lab: Lab, _ address: String) async -> Set<String> {
        let text = (try? await Lab.sh("ip -n \(lab.router) route show \(address)")) ?? ""
        return Set(
            text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).enumerated().compactMap {
                index, word in index > 0 && word.hasPrefix("198.51.100.") ? String(word) : nil
            })
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
