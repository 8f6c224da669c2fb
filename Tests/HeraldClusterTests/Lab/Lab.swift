import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import HeraldTestSupport
import Synchronization

/// The layer-2 lab: a `router` namespace with bridge `br0` (198.51.100.1/24) and three node namespaces on it
/// (`eth0`, 198.51.100.11–13), each running its own `herald` as node-a, node-b, node-c against a real API server.
///
/// The API server (scripts/dev-cluster, instance "lab") listens on the root namespace's loopback; each node reaches
/// it on its own loopback through a relay over a Unix socket (the file system is shared across namespaces, the
/// network is not): `socat` listens on 127.0.0.1:PORT inside the node and forwards to a socket that a second `socat`
/// in the root namespace forwards to the API server. Cutting one node off the API server, while its layer-2 link
/// stays up, is killing that node's root-side relay.
final class Lab: @unchecked Sendable {
    // @unchecked: used from one test task at a time; the processes are only started and killed.
    let suffix: String
    let router: String
    let nodes: [String]
    let names = ["node-a", "node-b", "node-c"]
    let directory: String
    let cluster: DevCluster
    let port: String
    var macs: [String: String] = [:]
    var relays: [String: Process] = [:]
    var nodeRelays: [Process] = []
    static let count = Atomic(0)

    init(cluster: DevCluster, directory: String) async throws {
        self.cluster = cluster
        self.directory = directory
        // The process and a count of labs in it: two labs of one test process never share a name.
        let suffix = "\(getpid() % 100_000)\(Self.count.add(1, ordering: .relaxed).oldValue % 10)"
        self.suffix = suffix
        router = "labr\(suffix)"
        nodes = (1...3).map { "labn\($0)x\(suffix)" }
        let server =
            try String(contentsOfFile: cluster.heraldKubeconfig, encoding: .utf8)
            .split(separator: "\n").first { $0.contains("server:") } ?? ""
        port = String(server.split(separator: ":").last ?? "").trimmingCharacters(in: .whitespaces)
        do {
            try await build()
        } catch {
            destroy()
            throw error
        }
    }

    /// A lab ready for hosts: its tools installed, the API server instance "lab", a fresh folder named after `prefix`
    /// (holding the recording and the routed `stuck` fixture plugins when `fixtures`), and the namespaces.
    static func start(_ prefix: String, fixtures: Bool = true) async throws -> Lab {
        _ = try await sh("\(DevCluster.root)/scripts/l2-test-deps >/dev/null")
        let cluster = try await DevCluster.Registry.shared.get("lab", options: [])
        let directory = try TestSupport.temporaryDirectory(prefix)
        if fixtures {
            try TestSupport.compilePlugin(
                source: "fixture_plugin.c", output: "\(directory)/librecorder.so",
                defines: ["FIXTURE_RECORDER", "FIXTURE_ID=\"dev.herald.test.recorder\""])
            try TestSupport.compilePlugin(
                source: "fixture_plugin.c", output: "\(directory)/libstuck.so",
                defines: ["FIXTURE_ID=\"dev.herald.test.stuck\""])
        }
        return try await Lab(cluster: cluster, directory: directory)
    }

    /// The lab's Node objects (labelled `lab=yes`), created unless they exist.
    func createNodes(_ client: KubeClient) async {
        for name in names {
            _ = try? await client.create(Node(metadata: ObjectMeta(name: name, labels: ["lab": "yes"])))
        }
    }

    /// The data path on every node (``DataPath/prepare(namespace:node:v4:v6:)``): the layer-2 pools 198.51.100.128/25
    /// and 2001:db8::100/121 accepted locally, and each node's backend (terminate them when done).
    func startBackends() throws -> [Process] {
        try (0..<3).map { index in
            try DataPath.prepare(
                namespace: nodes[index], node: names[index], v4: "198.51.100.128/25", v6: "2001:db8::100/121")
        }
    }

    /// Runs a shell command off the cooperative pool (so that waiting for it never stalls other tests' tasks).
    static func sh(_ command: String) async throws -> String {
        let out = try await TestSupport.runDetached(["/bin/sh", "-c", command], timeout: 60)
        guard out.status == 0 else { throw DevCluster.ClusterError(message: "`\(command)`: \(out.stdout)") }
        return out.stdout
    }

    /// The same, blocking: for tearing down.
    static func shNow(_ command: String) {
        _ = try? TestSupport.run(["/bin/sh", "-c", command], timeout: 60, combineOutput: true)
    }

    private func build() async throws {
        let r = router
        _ = try await Self.sh(
            "ip netns add \(r) && ip -n \(r) link set lo up && ip -n \(r) link add br0 type bridge "
                + "&& ip -n \(r) link set br0 up && ip -n \(r) addr add 198.51.100.1/24 dev br0 "
                + "&& ip -n \(r) addr add 2001:db8::1/64 dev br0 nodad")
        for (offset, node) in nodes.enumerated() {
            let i = offset + 1
            let veth = "labv\(i)x\(suffix)"
            _ = try await Self.sh(
                "ip netns add \(node) && ip link add \(veth) type veth peer name eth0 netns \(node) "
                    + "&& ip link set \(veth) netns \(r) && ip -n \(r) link set \(veth) master br0 up "
                    + "&& ip -n \(node) link set lo up && ip -n \(node) link set eth0 up "
                    + "&& ip -n \(node) addr add 198.51.100.1\(i)/24 dev eth0 "
                    + "&& ip -n \(node) addr add 2001:db8::1\(i)/64 dev eth0 nodad")
            let link = try await Self.sh("ip -n \(node) -o link show eth0")
            let mac = link.split(separator: " ").drop { $0 != "link/ether" }.dropFirst().first.map(String.init)
            macs[names[offset]] = mac ?? ""
            try connect(offset)
            let relay = Process()
            relay.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            relay.arguments = [
                "netns", "exec", node, "socat", "TCP-LISTEN:\(port),bind=127.0.0.1,fork,reuseaddr",
                "UNIX-CONNECT:\(socket(offset))",
            ]
            relay.standardInput = FileHandle.nullDevice
            relay.standardOutput = FileHandle.nullDevice
            relay.standardError = FileHandle.nullDevice
            try relay.run()
            nodeRelays.append(relay)
        }
    }

    func socket(_ index: Int) -> String { "\(directory)/api-\(index).sock" }

    /// (Re)connects node `index` to the API server.
    func connect(_ index: Int) throws {
        let relay = Process()
        relay.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        relay.arguments = ["UNIX-LISTEN:\(socket(index)),fork,unlink-early", "TCP:127.0.0.1:\(port)"]
        relay.standardInput = FileHandle.nullDevice
        relay.standardOutput = FileHandle.nullDevice
        relay.standardError = FileHandle.nullDevice
        try relay.run()
        relays[names[index]] = relay
    }

    /// Cuts node `index` off the API server: its relay and every connection through it end.
    func disconnect(_ index: Int) async {
        _ = try? await Self.sh("pkill -9 -f 'UNIX-LISTEN:\(socket(index))'")
        relays[names[index]]?.waitUntilExit()
        relays[names[index]] = nil
    }

    /// What `arping` prints for one request from the router, answered or not within a second.
    func arping(_ address: String) async -> String {
        let out = try? await TestSupport.runDetached(
            ["/usr/sbin/ip", "netns", "exec", router, "arping", "-f", "-c", "1", "-w", "1", "-I", "br0", address],
            timeout: 5)
        return out.map { "status \($0.status): \($0.stdout)" } ?? "cannot run arping"
    }

    /// The MAC that answers an ARP request for `address` from the router within a second, if any answers.
    func arpOwner(_ address: String) async -> String? {
        let text = await arping(address)
        guard let open = text.firstIndex(of: "["), let close = text.firstIndex(of: "]") else { return nil }
        return String(text[text.index(after: open)..<close]).lowercased()
    }

    /// The MAC of the router's neighbour entry for `address` (the kernel's own table: a gratuitous ARP of a new
    /// owner updates it), if it has one.
    func neighbourMAC(_ address: String) async -> String? {
        guard
            let out = try? await TestSupport.runDetached(
                ["/usr/sbin/ip", "-n", router, "neigh", "show", address], timeout: 5)
        else { return nil }
        let words = out.stdout.split(separator: " ")
        return words.firstIndex(of: "lladdr").flatMap { $0 + 1 < words.count ? words[$0 + 1].lowercased() : nil }
    }

    /// The node whose MAC this is.
    func node(ofMAC mac: String?) -> String? { macs.first { $0.value.lowercased() == mac }?.key }

    /// The node that answers ARP for `address` from the router, if any.
    func owner(_ address: String) async -> String? { node(ofMAC: await arpOwner(address)) }

    /// The node the router's neighbour entry for `address` names, if any.
    func neighbourOwner(_ address: String) async -> String? { node(ofMAC: await neighbourMAC(address)) }

    /// Whether none of `addresses` is answered by `node`.
    func none(of addresses: some Sequence<String>, ownedBy node: String) async -> Bool {
        for address in addresses where await owner(address) == node { return false }
        return true
    }

    /// Whether every one of `addresses` is answered by `node`.
    func all(of addresses: some Sequence<String>, ownedBy node: String) async -> Bool {
        for address in addresses where await owner(address) != node { return false }
        return true
    }

    /// Whether every one of `addresses` is answered by some node.
    func allAnswered(_ addresses: some Sequence<String>) async -> Bool {
        for address in addresses where await owner(address) == nil { return false }
        return true
    }

    func destroy() {
        for relay in relays.values where relay.isRunning { relay.terminate() }
        for relay in nodeRelays where relay.isRunning { relay.terminate() }
        Self.shNow("ip netns del \(router) 2>/dev/null; true")
        for node in nodes { Self.shNow("ip netns del \(node) 2>/dev/null; true") }
        // `ip netns exec` runs socat as its child: the node-side relays outlive a SIGTERM to `ip`. ("[U]NIX" so that
        // the pattern does not match the shell that runs pkill.)
        for index in 0..<3 {
            for side in ["LISTEN", "CONNECT"] { Self.shNow("pkill -9 -f '[U]NIX-\(side):\(socket(index))'; true") }
        }
    }
}

/// One line of a recording plugin's file: when (CLOCK_MONOTONIC ns), which call, which announcement id.
struct Recorded: Sendable {
    var time: UInt64
    var node: String
    var announce: Bool
    var id: String

    static func read(_ path: String, node: String) -> [Recorded] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count >= 3, parts[0].hasPrefix("t="), let time = UInt64(parts[0].dropFirst(2)),
                parts[1] == "announce" || parts[1] == "withdraw"
            else { return nil }
            return Recorded(time: time, node: node, announce: parts[1] == "announce", id: String(parts[2]))
        }
    }

    /// The pairs of nodes that announced one id at the same time, with when; `ends` gives, per node, the instants
    /// its process died without withdrawing (kill -9), which end whatever it announced.
    static func overlaps(_ records: [Recorded], ends: [String: [UInt64]]) -> [String] {
        var intervals: [String: [(node: String, from: UInt64, to: UInt64)]] = [:]
        for node in Set(records.map(\.node)) {
            let mine = records.filter { $0.node == node }.sorted { $0.time < $1.time }
            let deaths = (ends[node] ?? []).sorted()
            var open: [String: UInt64] = [:]
            var deathIndex = 0
            for record in mine {
                while deathIndex < deaths.count && deaths[deathIndex] < record.time {
                    for (id, from) in open { intervals[id, default: []].append((node, from, deaths[deathIndex])) }
                    open = [:]
                    deathIndex += 1
                }
                if record.announce {
                    if open[record.id] == nil { open[record.id] = record.time }
                } else if let from = open.removeValue(forKey: record.id) {
                    intervals[record.id, default: []].append((node, from, record.time))
                }
            }
            let end = deathIndex < deaths.count ? deaths[deathIndex] : UInt64.max
            for (id, from) in open { intervals[id, default: []].append((node, from, end)) }
        }
        var found: [String] = []
        for (id, list) in intervals {
            for a in list {
                for b in list where a.node < b.node && a.from < b.to && b.from < a.to {
                    found.append(
                        "\(id): \(a.node) and \(b.node) overlap by \((min(a.to, b.to) - max(a.from, b.from)) / 1_000_000) ms"
                    )
                }
            }
        }
        return found
    }
}
