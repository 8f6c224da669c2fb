import Foundation
import HeraldTestSupport

/// FRR as the lab's router: `zebra` (which installs routes in the router namespace's kernel) and `bgpd` with one
/// neighbor per node address, `maximum-paths` for ECMP, in the foreground as children of the test; queried with
/// vtysh. They run as the `frr` user, which owns their folder.
final class FRRRouter {
    let directory: String
    let namespace: String
    private var zebra: LineProcess?
    private var bgpd: LineProcess?

    /// A router of AS `localASN` peering with each of `neighbors` (AS `peerASN`) at `holdTime` (keepalive a third of
    /// it), accepting every route (no eBGP policy) and installing up to 8 equal paths.
    init(lab: BGPLab, neighbors: [String], localASN: Int = 64512, peerASN: Int = 64513, holdTime: Int = 3) throws {
        namespace = lab.router
        directory = lab.directory + "/frr-router"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let zebraConfig = directory + "/zebra.conf"
        try "hostname router\n".write(toFile: zebraConfig, atomically: true, encoding: .utf8)
        let bgpConfig = directory + "/bgpd.conf"
        var text = """
            hostname router
            router bgp \(localASN)
             bgp router-id 198.51.100.1
             no bgp ebgp-requires-policy
             no bgp default ipv4-unicast

            """
        for neighbor in neighbors {
            text += " neighbor \(neighbor) remote-as \(peerASN)\n"
            text += " neighbor \(neighbor) timers \(max(1, holdTime / 3)) \(holdTime)\n"
            text += " neighbor \(neighbor) timers connect 1\n"
        }
        text += " address-family ipv4 unicast\n  maximum-paths 8\n"
        for neighbor in neighbors { text += "  neighbor \(neighbor) activate\n" }
        text += " exit-address-family\n"
        try text.write(toFile: bgpConfig, atomically: true, encoding: .utf8)
        try LabShell.must("chown -R frr:frr \(directory)")
        let zserv = directory + "/zserv.api"
        func daemon(_ name: String, _ config: String, _ extra: [String]) throws -> LineProcess {
            try LineProcess(
                executable: "/usr/sbin/ip",
                arguments: [
                    "netns", "exec", namespace, "/usr/lib/frr/\(name)", "-f", config, "--vty_socket", directory, "-i",
                    "\(directory)/\(name).pid", "-z", zserv, "-u", "frr", "-g", "frr", "--log", "stdout",
                ] + extra)
        }
        zebra = try daemon("zebra", zebraConfig, [])
        guard LabShell.wait(10, { FileManager.default.fileExists(atPath: zserv) }) else {
            throw LabShell.Failure(command: "zebra", output: zebra?.transcript ?? "")
        }
        bgpd = try daemon("bgpd", bgpConfig, ["-p", "179"])
        guard LabShell.wait(10, { self.query("show bgp summary").contains("router identifier") }) else {
            throw LabShell.Failure(command: "bgpd", output: (bgpd?.transcript ?? "") + (zebra?.transcript ?? ""))
        }
    }

    func query(_ command: String, daemon: String = "bgpd") -> String {
        LabShell.run("vtysh --vty_socket \(directory) -d \(daemon) -c '\(command)'", timeout: 20).output
    }

    var transcript: String { (bgpd?.transcript ?? "") + (zebra?.transcript ?? "") }

    func stop() {
        for process in [bgpd, zebra] {
            process?.kill9()
            process?.stop(quit: nil)
        }
        bgpd = nil
        zebra = nil
    }
}
