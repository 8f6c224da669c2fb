import Foundation
import HeraldTestSupport
import Synchronization

/// The test network: a `router` namespace with bridge `br0` (198.51.100.1/24, 2001:db8::1/64) and node namespaces
/// attached to it by veths (`eth0`, 198.51.100.1N/24, 2001:db8::1N/64). Node 1 also has `eth1` on a second router
/// bridge `br1` (203.0.113.11/24 and 203.0.113.1/24) for interface-selection tests. Names carry a per-run suffix so
/// that parallel runs cannot clash; `destroy()` deletes every namespace (their veths go with them).
final class Topology {
    let suffix: String
    let router: String
    let nodes: [String]

    private static let counter = Mutex(0)

    init(nodes count: Int = 2) throws {
        let serial = Self.nextSerial()
        let tag = "\(getpid() % 100_000)x\(serial)"
        suffix = tag
        router = "l2r\(tag)"
        nodes = (1...count).map { "l2n\($0)\(tag)" }
        do {
            try build()
        } catch {
            destroy()
            throw error
        }
    }

    private static func nextSerial() -> Int {
        counter.withLock { value -> Int in
            value += 1
            return value
        }
    }

    private func build() throws {
        for command in NamespaceNetwork.commands(router: router, nodes: nodes, vethPrefix: "l2", suffix: suffix) {
            try Shell.must(command)
        }
    }

    func destroy() {
        for name in [router] + nodes { Shell.run("ip netns del \(name) 2>/dev/null") }
    }

    /// The hardware address of an interface in a namespace, lower case.
    func mac(_ namespace: String, _ interface: String = "eth0") throws -> String {
        let result = Shell.run("ip netns exec \(namespace) cat /sys/class/net/\(interface)/address")
        guard result.status == 0 else { throw ShellError(command: "mac", result: result) }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// Runs a command inside the router namespace.
    @discardableResult
    func inRouter(_ command: String) -> Shell.Result { Shell.run("ip netns exec \(router) \(command)") }

    /// One ARP request from the router on `bridge`; the replying MAC (lower case), or nil when nobody answered.
    func arping(_ address: String, bridge: String = "br0") -> String? {
        let result = inRouter("arping -c 1 -w 1 -I \(bridge) \(address)")
        guard result.status == 0, let open = result.output.firstIndex(of: "["),
            let close = result.output[open...].firstIndex(of: "]")
        else { return nil }
        return String(result.output[result.output.index(after: open)..<close]).lowercased()
    }

    /// One Neighbor Solicitation from the router through ndisc6 on `interface`; the target link-layer address, or nil.
    func ndisc6(_ address: String, interface: String = "br0") -> String? {
        let result = inRouter("ndisc6 -1 -r 1 -w 800 \(address) \(interface)")
        guard result.status == 0,
            let line = result.output.split(separator: "\n").first(where: { $0.contains("Target link-layer address") }),
            let value = line.split(separator: " ").last
        else { return nil }
        return value.lowercased()
    }

    /// The router kernel's neighbour entry for an address on br0: its MAC, or nil.
    func neighbour(_ address: String) -> String? {
        let result = Shell.run("ip -n \(router) neigh show \(address) dev br0")
        let words = result.output.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard let index = words.firstIndex(of: "lladdr"), index + 1 < words.count else { return nil }
        return words[index + 1].lowercased()
    }
}
