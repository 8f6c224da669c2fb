import Foundation
import HeraldTestSupport

/// gobgpd in the lab's router namespace, accepting every node of 198.51.100.0/24 as AS 64513, queried as JSON.
final class GoBGP {
    let socket: String
    private var process: LineProcess?

    init(lab: BGPLab, localASN: Int = 64512, peerASN: Int = 64513) throws {
        socket = lab.directory + "/gobgp.sock"
        let config = try lab.write(
            "gobgp.toml",
            """
            [global.config]
              as = \(localASN)
              router-id = "198.51.100.1"
              port = 179
            [[peer-groups]]
              [peer-groups.config]
                peer-group-name = "nodes"
                peer-as = \(peerASN)
              [[peer-groups.afi-safis]]
                [peer-groups.afi-safis.config]
                  afi-safi-name = "ipv4-unicast"
              [[peer-groups.afi-safis]]
                [peer-groups.afi-safis.config]
                  afi-safi-name = "ipv6-unicast"
            [[dynamic-neighbors]]
              [dynamic-neighbors.config]
                prefix = "198.51.100.0/24"
                peer-group = "nodes"
            [[dynamic-neighbors]]
              [dynamic-neighbors.config]
                prefix = "2001:db8::/64"
                peer-group = "nodes"
            """)
        let process = try LineProcess(
            executable: "/usr/sbin/ip",
            arguments: [
                "netns", "exec", lab.router, "gobgpd", "-f", config, "--api-hosts", "unix://\(socket)",
                "--pprof-disable",
            ])
        self.process = process
        guard LabShell.wait(15, { self.query("global").contains("198.51.100.1") }) else {
            throw LabShell.Failure(command: "gobgpd", output: process.transcript)
        }
    }

    func stop() {
        process?.kill9()
        process?.stop(quit: nil)
        process = nil
    }

    var transcript: String { process?.transcript ?? "" }

    func query(_ arguments: String) -> String {
        LabShell.run("gobgp --target unix://\(socket) \(arguments)", timeout: 20).output
    }

    /// The global RIB of one family as parsed JSON: prefix → paths.
    func rib(_ family: String) -> [String: Any] {
        let text = query("global rib -a \(family) -j")
        guard let data = text.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object
    }

    var establishedNeighbors: Int {
        query("neighbor").split(separator: "\n").filter { $0.contains("Establ") }.count
    }
}
