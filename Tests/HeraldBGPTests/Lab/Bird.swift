import Foundation
import HeraldTestSupport

/// BIRD 2 in the lab's router namespace, in the foreground as a child of the test, queried with birdc.
final class Bird {
    let socket: String
    let config: String
    let namespace: String
    /// BIRD runs at SCHED_FIFO priority 1 (`chrt`), as a router runs its BFD: ahead of whatever else the machine does.
    let realtime: Bool
    private var process: LineProcess?

    /// A BIRD that accepts every node of 198.51.100.0/24 and 2001:db8::/64 as AS `peerASN` (passive `neighbor
    /// range`), into tables t4 and t6. `extra` is appended to the configuration (more protocols); `bfd` asks the
    /// sessions for BFD (which needs a `protocol bfd` in `extra`). `name` names its files in the lab's folder (a
    /// second BIRD needs another name, and another listening port in its `local` statements). `realtime`: see
    /// ``realtime``.
    init(
        lab: BGPLab, localASN: Int = 64512, peerASN: Int = 64513, extra: String = "", ranges: Bool = true,
        holdTime: Int = 30, errorWaitTime: String? = nil, bfd: Bool = false, name: String = "bird",
        realtime: Bool = false
    ) throws {
        namespace = lab.router
        self.realtime = realtime
        socket = lab.directory + "/\(name).ctl"
        let ibgp = localASN == peerASN
        var text = """
            router id 198.51.100.1;
            log stderr all;
            protocol device {}
            ipv4 table t4;
            ipv6 table t6;
            template bgp nodes {
              local as \(localASN);
              hold time \(holdTime);
              \(errorWaitTime.map { "error wait time \($0);" } ?? "")
              graceful restart on;
              \(bfd ? "bfd on;" : "")
              \(ibgp ? "direct;" : "")
              ipv4 { table t4; import all; export none; \(ibgp ? "gateway direct;" : "") };
              ipv6 { table t6; import all; export none; \(ibgp ? "gateway direct;" : "") };
            }

            """
        if ranges {
            text += """
                protocol bgp nodes4 from nodes { neighbor range 198.51.100.0/24 as \(peerASN); }
                protocol bgp nodes6 from nodes { neighbor range 2001:db8::/64 as \(peerASN); }

                """
        }
        text += extra
        config = try lab.write("\(name).conf", text)
        try start()
    }

    func start() throws {
        let process = try LineProcess(
            executable: "/usr/sbin/ip",
            arguments: ["netns", "exec", namespace] + (realtime ? ["chrt", "-f", "1"] : [])
                + ["bird", "-f", "-c", config, "-s", socket])
        self.process = process
        guard LabShell.wait(10, { self.query("show status").contains("Daemon is up") }) else {
            throw LabShell.Failure(command: "bird", output: process.transcript)
        }
    }

    /// Kills BIRD (SIGKILL) and waits for it.
    func stop() {
        process?.kill9()
        process?.stop(quit: nil)
        process = nil
        try? FileManager.default.removeItem(atPath: socket)
    }

    var transcript: String { process?.transcript ?? "" }

    /// Sends a signal to BIRD (SIGSTOP freezes it: its BFD and BGP go silent, as on a hung router).
    func signal(_ signal: Int32) { process?.signal(signal) }

    func query(_ command: String) -> String {
        LabShell.run("birdc -s \(socket) \(command)", timeout: 20).output
    }

    /// `show route all` for a prefix in a table ("t4" or "t6"); empty text when BIRD has no route.
    func routes(_ prefix: String, table: String) -> String {
        let text = query("show route all table \(table) \(prefix)")
        return text.contains("Network not found") ? "" : text
    }

    /// How many BGP protocols are Established.
    var established: Int {
        query("show protocols").split(separator: "\n").filter { $0.contains("Established") }.count
    }

    /// Routes in a table (`show route count`).
    func count(table: String) -> Int {
        let text = query("show route count table \(table)")
        guard let line = text.split(separator: "\n").first(where: { $0.contains("of") && $0.contains("routes") }),
            let number = line.split(separator: " ").first.flatMap({ Int($0) })
        else { return 0 }
        return number
    }
}
