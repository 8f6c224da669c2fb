import Foundation
import Synchronization

/// The test network: a `router` namespace with bridge `br0` (198.51.100.1/24, 2001:db8::1/64) and a second bridge
/// `br1` (203.0.113.1/24); node namespaces on br0 by `eth0` (198.51.100.1N/24, 2001:db8::1N/64), and node 1 also on
/// br1 by `eth1` (203.0.113.11/24). Names carry a per-run suffix; `destroy()` deletes every namespace.
final class BGPLab {
    let suffix: String
    let router: String
    let nodes: [String]
    let directory: String

    private static let counter = Mutex(0)

    init(nodes count: Int = 1) throws {
        let serial = Self.counter.withLock { value -> Int in
            value += 1
            return value
        }
        let tag = "\(getpid() % 100_000)y\(serial)"
        suffix = tag
        router = "bgr\(tag)"
        nodes = (1...count).map { "bgn\($0)\(tag)" }
        directory = NSTemporaryDirectory() + "herald-bgp-\(tag)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do {
            try build()
        } catch {
            destroy()
            throw error
        }
    }

    private func build() throws {
        let r = router
        try LabShell.must("ip netns add \(r)")
        for node in nodes { try LabShell.must("ip netns add \(node)") }
        try LabShell.must(
            """
            ip -n \(r) link set lo up && ip -n \(r) link add br0 type bridge && ip -n \(r) link set br0 up \
            && ip -n \(r) link add br1 type bridge && ip -n \(r) link set br1 up \
            && ip -n \(r) addr add 198.51.100.1/24 dev br0 && ip -n \(r) addr add 2001:db8::1/64 dev br0 nodad \
            && ip -n \(r) addr add 203.0.113.1/24 dev br1
            """)
        for (offset, node) in nodes.enumerated() {
            let i = offset + 1
            let veth = "bgv\(i)\(suffix)"
            try LabShell.must(
                """
                ip link add \(veth) type veth peer name eth0 netns \(node) && ip link set \(veth) netns \(r) \
                && ip -n \(r) link set \(veth) master br0 up && ip -n \(node) link set lo up \
                && ip -n \(node) link set eth0 up && ip -n \(node) addr add 198.51.100.1\(i)/24 dev eth0 \
                && ip -n \(node) addr add 2001:db8::1\(i)/64 dev eth0 nodad
                """)
        }
        let second = "bgw1\(suffix)"
        try LabShell.must(
            """
            ip link add \(second) type veth peer name eth1 netns \(nodes[0]) && ip link set \(second) netns \(r) \
            && ip -n \(r) link set \(second) master br1 up && ip -n \(nodes[0]) link set eth1 up \
            && ip -n \(nodes[0]) addr add 203.0.113.11/24 dev eth1
            """)
    }

    func destroy() {
        for name in [router] + nodes { LabShell.run("ip netns del \(name) 2>/dev/null") }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Writes a file in the lab's directory and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
