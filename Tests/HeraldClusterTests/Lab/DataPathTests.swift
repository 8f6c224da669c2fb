import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import HeraldTestSupport
import Testing

/// Traffic reaches the Service: a client in the router namespace opens connections to the addresses Herald announces
/// over layer 2 (ARP and NDP) and reaches a backend on the owner node (``DataPath``: AnyIP routes and a small HTTP
/// server stand in for kube-proxy and the pods). Asserted per connection: every one reaches the node that owns the
/// address, follows the endpoint of an `externalTrafficPolicy: Local` Service, leaves an excluded node, and reaches
/// both Services sharing an address. Printed (not asserted as timings): create → first successful connection, and
/// failover at the connection level when Herald is killed, when the whole node goes (link down and Herald killed),
/// and on a graceful stop, with the attempts (one every 50 ms) that failed in between.
///
/// `HERALD_DATAPATH_TRIALS` sets the failover trials per fault: 3 in the test command (each trial costs about 12 s),
/// 20 in `scripts/datapath-bench`, which reports the distributions.
@Suite(.serialized) struct DataPathTests {
    static let config = """
        apiVersion: herald.dev/v1
        pools:
          - {name: v4, addresses: [198.51.100.128/25]}
          - {name: v6, addresses: ["2001:db8::100/121"]}
        advertisements:
          - {name: l2, plugin: arp, pools: [v4]}
          - {name: l2v6, plugin: ndp, pools: [v6]}
        """

    static let plugins = [
        "10-arp.yaml":
            "name: arp\nlibrary: herald-arp\nconfig: {interfaces: [eth0], gratuitous: {count: 3, intervalMs: 100}}\n",
        "20-ndp.yaml":
            "name: ndp\nlibrary: herald-ndp\nconfig: {interfaces: [eth0], gratuitous: {count: 3, intervalMs: 100}}\n",
    ]

    static func percentile(_ values: [Double], _ p: Double) -> Double { SpeakerLabTests.percentile(values, p) }

    /// How often each reason occurs, most frequent first (`none` for no reason at all).
    static func tally(_ reasons: [String]) -> String {
        guard !reasons.isEmpty else { return "none" }
        var counts: [String: Int] = [:]
        for reason in reasons { counts[reason, default: 0] += 1 }
        return counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) ×\($0.value)" }
            .joined(separator: ", ")
    }

    enum Fault: String { case heraldKilled = "herald kill -9", nodeKilled = "node down", graceful = "SIGTERM" }

    @Test func clientsReachTheOwnerAndFailOverPerConnection() async throws {
        let lab = try await Lab.start("herald-datapath", fixtures: false)
        let (cluster, directory) = (lab.cluster, lab.directory)
        defer { lab.destroy() }
        let backends = try lab.startBackends()
        defer { for backend in backends where backend.isRunning { backend.terminate() } }
        let client = try DataPath.Client(router: lab.router)
        defer { client.stop() }
        try await withClient(try cluster.adminClient("datapath")) { kube in
            try await ControllerLab.cleanUp(kube)
            await lab.createNodes(kube)
            var hosts: [String: HostProcess] = [:]
            func launch(_ index: Int) throws {
                let name = lab.names[index]
                hosts[name] = try HostProcess(
                    cluster: cluster, node: name, directory: directory, config: Self.config,
                    netns: lab.nodes[index], plugins: Self.plugins)
            }
            for index in 0..<3 { try launch(index) }
            defer { for host in hosts.values { host.signal(SIGKILL) } }
            let ns = try await makeNamespace(kube, "data")
            #expect(
                await eventually(timeout: .seconds(30)) { (try? await ControllerLab.allocator(kube)) != nil },
                "no allocator leads")

            /// The Service's first address, polled every 10 ms.
            func address(of name: String) async -> String? {
                for _ in 0..<3000 {
                    if let ip = try? await kube.get(Service.self, name: name, namespace: ns).status?.loadBalancer?
                        .ingress?.first?.ip
                    {
                        return ip
                    }
                    try? await Task.sleep(for: .milliseconds(10))
                }
                return nil
            }

            // Create → first successful connection: 40 IPv4 and 10 IPv6 Services, one at a time.
            var firstTimes: (v4: [Double], v6: [Double]) = ([], [])
            var reached: [String: String] = [:]
            var v4: [String] = []
            for index in 0..<50 {
                let name = "web-\(index)"
                let since = LineProcess.monotonicNanoseconds()
                try await ControllerLab.create(
                    kube, [ControllerLab.service(name, namespace: ns, families: [index < 40 ? "IPv4" : "IPv6"])])
                guard let ip = await address(of: name) else {
                    Issue.record("\(name) got no address")
                    continue
                }
                guard let (node, ms) = client.first(ip, since: since) else {
                    Issue.record("no connection to \(name) at \(ip) succeeded within 30 s")
                    continue
                }
                reached[ip] = node
                if index < 40 {
                    firstTimes.v4.append(ms / 1000)
                    v4.append(ip)
                } else {
                    firstTimes.v6.append(ms / 1000)
                }
            }
            #expect(firstTimes.v4.count == 40 && firstTimes.v6.count == 10)
            let all = firstTimes.v4 + firstTimes.v6
            print(
                "data path, create → first successful connection over \(all.count) Services: p50 "
                    + "\(String(format: "%.3f", Self.percentile(all, 0.5))) s, p99 "
                    + "\(String(format: "%.3f", Self.percentile(all, 0.99))) s (IPv4 p50 "
                    + "\(String(format: "%.3f", Self.percentile(firstTimes.v4, 0.5))) s, IPv6 p50 "
                    + "\(String(format: "%.3f", Self.percentile(firstTimes.v6, 0.5))) s)")
            // Every connection reached the node that answers ARP for the address; the Services spread over the nodes.
            for ip in v4.prefix(20) {
                let owner = await lab.owner(ip)
                #expect(
                    owner == reached[ip], "\(ip): reached \(reached[ip] ?? "?"), ARP answered by \(owner ?? "none")")
            }
            #expect(Set(reached.values).count == 3, "the Services reached \(Set(reached.values))")

            // Failover per connection: one attempt every 50 ms while the owner fails.
            let probe = v4[0]
            func trial(_ fault: Fault) async throws -> (seconds: Double?, failed: Int, toOld: Int, why: [String]) {
                _ = try? await Lab.sh("ip netns exec \(lab.router) ping -c1 -W1 \(probe) >/dev/null 2>&1; true")
                guard let owner = await lab.owner(probe), let index = lab.names.firstIndex(of: owner) else {
                    Issue.record("\(probe) has no owner")
                    return (nil, 0, 0, [])
                }
                let from = client.startProbe(probe, interval: 50, count: 160)
                try await Task.sleep(for: .milliseconds(Int.random(in: 1000..<2000)))
                let start = LineProcess.monotonicNanoseconds()
                switch fault {
                case .heraldKilled: hosts[owner]?.signal(SIGKILL)
                case .nodeKilled:
                    _ = try await Lab.sh("ip -n \(lab.nodes[index]) link set eth0 down")
                    hosts[owner]?.signal(SIGKILL)
                case .graceful: hosts[owner]?.signal(SIGTERM)
                }
                let results = client.collectWithReasons(from: from, timeout: 30)
                let after = results.filter { $0.time >= start }
                let moved = after.firstIndex { $0.node != nil && $0.node != owner }
                let before = moved.map { Array(after[..<$0]) } ?? after
                let failed = before.filter { $0.node == nil }.count
                let why = before.compactMap(\.failure)
                let toOld = before.filter { $0.node == owner }.count
                #expect(results.allSatisfy { $0.node == nil || lab.names.contains($0.node!) })
                await hosts[owner]?.stop(SIGKILL, timeout: 5)
                if fault == .nodeKilled {
                    _ = try await Lab.sh(
                        "ip -n \(lab.nodes[index]) link set eth0 up && ip -n \(lab.nodes[index]) addr replace "
                            + "2001:db8::1\(index + 1)/64 dev eth0 nodad")
                }
                try launch(index)
                let back = await eventually(timeout: .seconds(20)) { await lab.owner(probe) == owner }
                #expect(back, "\(probe) did not return to \(owner) after \(fault.rawValue)")
                return (moved.map { Double(after[$0].time - start) / 1e9 }, failed, toOld, why)
            }
            var lines: [String] = []
            let trials = max(1, Int(ProcessInfo.processInfo.environment["HERALD_DATAPATH_TRIALS"] ?? "") ?? 3)
            for fault in [Fault.heraldKilled, .nodeKilled, .graceful] {
                var results: [(seconds: Double?, failed: Int, toOld: Int, why: [String])] = []
                for _ in 0..<trials { results.append(try await trial(fault)) }
                let times = results.compactMap(\.seconds)
                let failed = results.map(\.failed)
                #expect(times.count == trials, "\(fault.rawValue): connections did not move in every trial")
                if fault != .nodeKilled {
                    // The old node's backend still serves while the router's neighbour entry names it; only a
                    // connection under way at the instant the entry changes (its next packets reach the new owner,
                    // which knows no such connection) can fail.
                    #expect(failed.allSatisfy { $0 <= 1 }, "\(fault.rawValue): failed attempts \(failed)")
                }
                lines.append(
                    "\(fault.rawValue): first connection elsewhere p50 "
                        + "\(String(format: "%.2f", Self.percentile(times, 0.5))) s, max "
                        + "\(String(format: "%.2f", times.max() ?? 0)) s; failed attempts per trial \(failed), "
                        + "answered by the old node meanwhile p50 \(Self.percentile(results.map { Double($0.toOld) }, 0.5))"
                        + "; why they failed: \(Self.tally(results.flatMap(\.why)))"
                )
            }
            print("data path, layer-2 failover (attempt every 50 ms, \(probe)):\n  " + lines.joined(separator: "\n  "))

            // The exclusion label: connections leave the owner, and none reaches it while it is excluded.
            guard let owner = await lab.owner(probe) else { return }
            _ = try await cluster.kubectl([
                "label", "node", owner, "node.kubernetes.io/exclude-from-external-load-balancers=true",
            ])
            let left = await eventually(timeout: .seconds(15)) { await lab.owner(probe).map { $0 != owner } ?? false }
            #expect(left, "\(probe) is still answered by the excluded \(owner)")
            let excluded = client.probe(probe, interval: 50, count: 20)
            #expect(
                excluded.allSatisfy { $0.node != nil && $0.node != owner },
                "while \(owner) is excluded: \(excluded.map { $0.node ?? "fail" })")
            _ = try await cluster.kubectl([
                "label", "node", owner, "node.kubernetes.io/exclude-from-external-load-balancers-",
            ])
            // The address returns to its owner; until it has, the step below would start from the stand-in owner,
            // whose address moves back by itself (seen: the NetworkUnavailable step then waited for the wrong node).
            #expect(
                await eventually(timeout: .seconds(20)) { await lab.owner(probe) == owner },
                "\(probe) did not return to \(owner) once it was no longer excluded")

            // NetworkUnavailable (what a CNI sets while a node's network is not ready): the same. Cordoned: Herald's
            // rule is that a cordoned node keeps announcing (cordoning stops scheduling, not traffic; draining moves the
            // pods, and with `externalTrafficPolicy: Local` their endpoints, which the step below follows).
            if let owner = await lab.owner(probe) {
                func condition(_ status: String) async throws {
                    let body = #"{"status":{"conditions":[{"type":"NetworkUnavailable","status":"\#(status)"}]}}"#
                    _ = try await kube.patch(Node.self, name: owner, subresource: "status", body: Array(body.utf8))
                }
                try await condition("True")
                let gone = await eventually(timeout: .seconds(15)) {
                    await lab.owner(probe).map { $0 != owner } ?? false
                }
                #expect(gone, "\(probe) is still answered by \(owner), whose network is unavailable")
                let unavailable = client.probe(probe, interval: 50, count: 20)
                #expect(
                    unavailable.allSatisfy { $0.node != nil && $0.node != owner },
                    "while \(owner)'s network is unavailable: \(unavailable.map { $0.node ?? "fail" })")
                try await condition("False")
                #expect(await eventually(timeout: .seconds(20)) { await lab.owner(probe) == owner })
                _ = try await cluster.kubectl(["cordon", owner])
                try await Task.sleep(for: .seconds(2))
                let cordoned = client.probe(probe, interval: 50, count: 20)
                #expect(
                    cordoned.allSatisfy { $0.node == owner },
                    "\(owner) cordoned: \(cordoned.map { $0.node ?? "fail" })")
                _ = try await cluster.kubectl(["uncordon", owner])
            }

            // Two Services sharing one address on different ports: each port answers, from the address's owner.
            let key = ["metallb.io/allow-shared-ip": "shared"]
            try await ControllerLab.create(
                kube,
                [
                    ControllerLab.service("share-a", namespace: ns, annotations: key, ports: [(80, "TCP")]),
                    ControllerLab.service("share-b", namespace: ns, annotations: key, ports: [(8080, "TCP")]),
                ])
            let sharedA = await address(of: "share-a")
            let sharedB = await address(of: "share-b")
            #expect(sharedA != nil && sharedA == sharedB, "not one address: \(sharedA ?? "-") and \(sharedB ?? "-")")
            if let shared = sharedA {
                let now = LineProcess.monotonicNanoseconds()
                let a = client.first(shared, port: 80, since: now)
                let b = client.first(shared, port: 8080, since: now)
                #expect(
                    a != nil && a?.node == b?.node, "port 80 reached \(a?.node ?? "none"), 8080 \(b?.node ?? "none")")
            }

            // externalTrafficPolicy: Local: connections reach the node with the ready endpoint, and follow it.
            var local = ControllerLab.service("local", namespace: ns)
            local.spec?.externalTrafficPolicy = "Local"
            try await ControllerLab.create(kube, [local])
            let localAddress = await address(of: "local") ?? ""
            /// The Service's endpoints: (node, conditions as JSON), one pod address each.
            func endpoints(_ list: [(node: String, conditions: String)]) async throws {
                let items = list.enumerated().map { index, endpoint in
                    #"{"addresses":["10.244.0.\#(9 + index)"],"conditions":\#(endpoint.conditions),"#
                        + #""nodeName":"\#(endpoint.node)"}"#
                }
                let slice = """
                    {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"local-1",
                    "namespace":"\(ns)","labels":{"kubernetes.io/service-name":"local"}},"addressType":"IPv4",
                    "endpoints":[\(items.joined(separator: ","))]}
                    """
                try slice.write(toFile: "\(directory)/slice.json", atomically: true, encoding: .utf8)
                _ = try await cluster.kubectl([
                    "apply", "--server-side", "--force-conflicts", "-f", "\(directory)/slice.json",
                ])
            }
            let ready = #"{"ready":true}"#
            for node in ["node-c", "node-a"] {
                try await endpoints([(node, ready)])
                let followed = await eventually(timeout: .seconds(15)) { await lab.owner(localAddress) == node }
                #expect(followed, "\(localAddress) is not announced from \(node), where its endpoint is")
                let attempts = client.probe(localAddress, interval: 50, count: 20)
                #expect(
                    attempts.allSatisfy { $0.node == node },
                    "ETP Local, endpoint on \(node): \(attempts.map { $0.node ?? "fail" })")
            }

            // node-a drained, as `kubectl drain` does it: the node cordoned, its pod terminating (the endpoint not
            // ready, still serving) while its replacement runs on node-b, then gone. The traffic leaves node-a while
            // its backend still answers: no attempt (one every 50 ms) fails, and a second after the address moved
            // none reaches node-a.
            _ = try await cluster.kubectl(["cordon", "node-a"])
            let drainProbe = client.startProbe(localAddress, interval: 50, count: 120)
            try await Task.sleep(for: .milliseconds(500))
            let drainStart = ContinuousClock.now
            try await endpoints([
                ("node-a", #"{"ready":false,"serving":true,"terminating":true}"#), ("node-b", ready),
            ])
            let drained = await eventually(timeout: .seconds(15)) { await lab.owner(localAddress) == "node-b" }
            let movedIn = ContinuousClock.now - drainStart
            let moved = LineProcess.monotonicNanoseconds()
            #expect(drained, "\(localAddress) did not leave the drained node-a")
            try await Task.sleep(for: .seconds(1))
            try await endpoints([("node-b", ready)])
            let drainAttempts = client.collect(from: drainProbe, timeout: 40)
            let failed = drainAttempts.filter { $0.node == nil }.count
            let late = drainAttempts.filter { $0.time > moved + 1_000_000_000 }
            #expect(drainAttempts.count == 120, "\(drainAttempts.count) attempts recorded")
            #expect(failed == 0, "drain: \(failed) attempts failed: \(drainAttempts.map { $0.node ?? "fail" })")
            #expect(
                !late.isEmpty && late.allSatisfy { $0.node == "node-b" },
                "after the drain moved the address: \(late.map { $0.node ?? "fail" })")
            print(
                "lab drain of node-a (ETP Local): address on node-b \(movedIn) after the endpoint turned terminating; "
                    + "\(failed) of \(drainAttempts.count) attempts failed; "
                    + "\(drainAttempts.filter { $0.node == "node-a" }.count) reached node-a while its pod terminated")
            _ = try await cluster.kubectl(["uncordon", "node-a"])
            for host in hosts.values { await host.stop(SIGKILL, timeout: 5) }
            try await ControllerLab.cleanUp(kube)
        }
    }
}
