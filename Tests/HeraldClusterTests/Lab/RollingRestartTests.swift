import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import HeraldTestSupport
import Testing

/// An upgrade as a DaemonSet rolls it: the three nodes' Herald restarted one after the other (SIGTERM with
/// `--on-stop=restart`, as deploy/components/bgp runs it, then the new process, then the next node once BIRD has its
/// session back and the restart over) while a client in the router namespace opens a new connection to a layer-2
/// address and to a BGP address every 50 ms. Each node announces the layer-2 pool through ARP and the BGP pool to BIRD
/// (eBGP with graceful restart, ECMP into the router's kernel), and serves both from its backend. The stopped node's
/// path stays at the router throughout (graceful restart: BIRD keeps it as stale). Printed per address: failed
/// attempts, the longest time between two successful attempts, and why attempts failed. Goals: no failed connection
/// over BGP, at most 0.5 s without one over layer 2.
@Suite(.serialized) struct RollingRestartTests {
    static let config = """
        apiVersion: herald.dev/v1
        pools:
          - {name: l2, addresses: [198.51.100.128/25]}
          - {name: routed, addresses: [192.0.2.0/28]}
        advertisements:
          - {name: l2, plugin: arp, pools: [l2]}
          - {name: routed, plugin: bgp, pools: [routed]}
        """

    static func plugins(index: Int) -> [String: String] {
        [
            "10-arp.yaml":
                "name: arp\nlibrary: herald-arp\nconfig: {interfaces: [eth0], gratuitous: {count: 3, intervalMs: 100}}\n",
            "20-bgp.yaml":
                "name: bgp\nlibrary: herald-bgp\nconfig: {myASN: 64513, routerID: 198.51.100.1\(index + 1), "
                + "peers: [{address: 198.51.100.1, asn: 64512, holdTime: 9, gracefulRestart: true}]}\n",
        ]
    }

    /// Failed attempts, the longest stretch between two successful ones (seconds), and why they failed.
    static func gaps(_ results: [(time: UInt64, node: String?, failure: String?)]) -> (Int, Double, [String]) {
        var longest = 0.0
        var last: UInt64?
        for result in results where result.node != nil {
            if let last { longest = max(longest, Double(result.time - last) / 1e9) }
            last = result.time
        }
        return (results.filter { $0.node == nil }.count, longest, results.compactMap(\.failure))
    }

    @Test func rollingRestartKeepsBothAddressesReachable() async throws {
        let lab = try await Lab.start("herald-rolling", fixtures: false)
        defer { lab.destroy() }
        let (cluster, directory) = (lab.cluster, lab.directory)
        let backends = try lab.startBackends()
        defer { for backend in backends where backend.isRunning { backend.terminate() } }
        for node in lab.nodes {
            _ = try await Lab.sh("ip -n \(node) route add local 192.0.2.0/28 dev lo table local")
        }
        let router = try LabBird(lab: lab, peerASN: 64513, kernel: true)
        defer { router.stop() }
        try await withClient(try cluster.adminClient("rolling")) { kube in
            try await ControllerLab.cleanUp(kube)
            await lab.createNodes(kube)
            var hosts: [String: HostProcess] = [:]
            func launch(_ index: Int) throws {
                hosts[lab.names[index]] = try HostProcess(
                    cluster: cluster, node: lab.names[index], directory: directory, config: Self.config,
                    extra: ["--on-stop=restart"], netns: lab.nodes[index], plugins: Self.plugins(index: index))
            }
            for index in 0..<3 { try launch(index) }
            defer { for host in hosts.values where host.isRunning { host.signal(SIGKILL) } }

            let ns = try await makeNamespace(kube, "rolling")
            try await ControllerLab.create(
                kube,
                [
                    ControllerLab.service("l2", namespace: ns, annotations: ["herald.dev/address-pool": "l2"]),
                    ControllerLab.service("routed", namespace: ns, annotations: ["herald.dev/address-pool": "routed"]),
                ])
            let assigned = try await ControllerLab.waitAssigned(kube, namespace: ns, names: ["l2", "routed"])
            let l2 = try #require(assigned["l2"]?.addresses.first)
            let routed = try #require(assigned["routed"]?.addresses.first)
            let all: Set = ["198.51.100.11", "198.51.100.12", "198.51.100.13"]
            var hops: Set<String> = []
            var owner: String?
            let ready = await eventually(timeout: .seconds(30)) {
                hops = await router.nextHops(lab, routed)
                owner = await lab.owner(l2)
                return hops == all && owner != nil
            }
            try #require(ready, "next hops \(hops), ARP owner \(owner ?? "none")")

            // The roll, under two clients' attempts every 50 ms (up to 60 s; they stop at the count).
            let clients = [try DataPath.Client(router: lab.router), try DataPath.Client(router: lab.router)]
            defer { for client in clients { client.stop() } }
            let count = 1200
            let from = [
                clients[0].startProbe(l2, interval: 50, count: count),
                clients[1].startProbe(routed, interval: 50, count: count),
            ]
            try await Task.sleep(for: .seconds(2))
            let started = ContinuousClock.now
            var steps: [String] = []
            var samples = 0
            var pathMissing: [String] = []
            for (index, name) in lab.names.enumerated() {
                let hop = "198.51.100.1\(index + 1)"
                let step = ContinuousClock.now
                await hosts[name]!.stop(SIGTERM)
                let stopped = ContinuousClock.now - step
                #expect(
                    hosts[name]!.output.contains("keeps its announcements in the network through the restart"),
                    "\(hosts[name]!.output)")
                // Graceful restart: the stopped node's path stays in the router's kernel (stale in BIRD) until the
                // new process has announced again and sent End-of-RIB. Sampled from the stop until then.
                func sample() async {
                    samples += 1
                    let hops = await router.nextHops(lab, routed)
                    if !hops.contains(hop) {
                        pathMissing.append("\(name) after \(ContinuousClock.now - step): \(hops)")
                    }
                }
                await sample()
                try launch(index)
                var protocols = ""
                let back = await eventually(timeout: .seconds(30)) {
                    await sample()
                    protocols = await router.query("show protocols all")
                    let established = protocols.split(separator: "\n").filter {
                        $0.contains("BGP state:") && $0.contains("Established")
                    }.count
                    return established == 3 && !protocols.contains("Neighbor graceful restart active")
                }
                #expect(back, "\(name)'s session and restart did not end: \(protocols)")
                // A moment for its membership lease to be seen.
                try await Task.sleep(for: .seconds(3))
                steps.append("\(name): stopped in \(stopped), back after \(ContinuousClock.now - step)")
            }
            #expect(pathMissing.isEmpty, "a stopped node's path left the router: \(pathMissing)")
            let rolled = ContinuousClock.now - started
            try await Task.sleep(for: .seconds(2))
            // The clients are stopped once enough attempts cover the roll: their remaining attempts are not waited for.
            for client in clients { client.process.signal(SIGTERM) }
            var lines: [String] = []
            for (index, (address, kind)) in [(l2, "layer 2"), (routed, "BGP")].enumerated() {
                let results = clients[index].collectWithReasons(from: from[index], timeout: 5)
                let (failed, longest, why) = Self.gaps(results)
                lines.append(
                    "\(kind) \(address): \(results.count) attempts, \(failed) failed, longest without a connection "
                        + "\(String(format: "%.3f", longest)) s; why: \(DataPathTests.tally(why))")
                #expect(results.count > 200, "\(kind): only \(results.count) attempts recorded")
                if kind == "BGP" {
                    #expect(failed <= 1, "BGP: \(failed) attempts failed during the roll")
                } else {
                    #expect(longest <= 1.0, "layer 2: \(longest) s without a connection during the roll")
                }
            }
            print(
                "rolling restart of 3 nodes in \(rolled) (\(steps.joined(separator: "; "))):\n  "
                    + lines.joined(separator: "\n  ")
                    + "\n  graceful restart: \(samples) samples of the router's next hops while a node restarted, "
                    + "\(pathMissing.count) without that node's path")
        }
    }
}
