import Foundation
import HeraldTestSupport

/// FRR's `bfdd` alone (no zebra, no bgpd) in the lab's router namespace, with static peers from `bfd` configuration
/// text, in the foreground as a child of the test; queried with vtysh. It runs as the `frr` user, which owns its folder.
final class BFDD {
    let directory: String
    let namespace: String
    private var process: LineProcess?

    init(lab: BGPLab, configuration: String) throws {
        namespace = lab.router
        directory = lab.directory + "/frr"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = directory + "/bfdd.conf"
        try configuration.write(toFile: config, atomically: true, encoding: .utf8)
        try LabShell.must("chown -R frr:frr \(directory)")
        let process = try LineProcess(
            executable: "/usr/sbin/ip",
            arguments: [
                "netns", "exec", namespace, "/usr/lib/frr/bfdd", "-f", config, "--vty_socket", directory, "-i",
                directory + "/bfdd.pid", "-u", "frr", "-g", "frr", "--log", "stdout", "--bfdctl",
                directory + "/bfdd.sock",
            ])
        self.process = process
        guard LabShell.wait(10, { self.query("show bfd peers").contains("BFD Peers") }) else {
            throw LabShell.Failure(command: "bfdd", output: process.transcript)
        }
    }

    func query(_ command: String) -> String {
        LabShell.run("vtysh --vty_socket \(directory) -d bfdd -c '\(command)'", timeout: 20).output
    }

    /// `show bfd peers json`: one object per peer (keys such as `peer`, `multihop`, `status`,
    /// `remote-receive-interval`).
    func peers() -> [[String: Any]] {
        let text = query("show bfd peers json")
        guard let data = text.data(using: .utf8),
            let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { return [] }
        return list
    }

    func peer(_ address: String, multihop: Bool = false) -> [String: Any]? {
        peers().first { ($0["peer"] as? String) == address && (($0["multihop"] as? Bool) ?? false) == multihop }
    }

    func signal(_ signal: Int32) { process?.signal(signal) }

    var transcript: String { process?.transcript ?? "" }

    func stop() {
        process?.kill9()
        process?.stop(quit: nil)
        process = nil
    }
}
