import Foundation
import HeraldTestSupport
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
        for command in NamespaceNetwork.commands(router: router, nodes: nodes, vethPrefix: "bg", suffix: suffix) {
            try LabShell.must(command)
        }
    }

    func destroy() {
        for name in [router] + nodes { LabShell.run("ip netns del \(name) 2>/dev/null") }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Writes a file in the lab's directory with the given mode and returns its path.
    func write(_ name: String, _ text: String, mode: mode_t = 0o644) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        guard chmod(path, mode) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return path
    }
}
