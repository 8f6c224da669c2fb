import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import HeraldTestSupport
import Testing

/// Every node announces what it should: three `herald` processes in their own network namespaces (node-a/b/c)
/// against a real API server, with the ARP, NDP and log plugins and a recording plugin, and the router's kernel,
/// arping and ndisc6 as the peers that check who answers.
@Suite(.serialized) struct SpeakerLabTests {
    static let config = """
        apiVersion: herald.dev/v1
        pools:
          - {name: v4, addresses: [198.51.100.128/25]}
          - {name: v6, addresses: ["2001:db8::100/121"]}
        advertisements:
          - {name: l2, plugin: arp, pools: [v4], nodeSelectors: [{matchLabels: {lab: "yes"}}]}
          - {name: l2v6, plugin: ndp, pools: [v6]}
          - {name: rec, plugin: rec}
          - {name: routed, plugin: log, pools: [v4], aggregationLength: 25}
          - {name: stuck, plugin: stuck, pools: [v4]}
        """

    /// What a node's plugins.d holds. `hang`: a call that never returns on this node, in the `stuck` instance (a
    /// routed fixture: shared) or in `rec` (the exclusive recorder, then recording to a file of its own).
    enum Hang { case none, shared, exclusive }

    static func plugins(directory: String, node: String, hang: Hang = .none) -> [String: String] {
        let record = hang == .exclusive ? "\(directory)/rec-hung-\(node).txt" : "\(directory)/rec-\(node).txt"
        return [
            "10-arp.yaml":
                "name: arp\nlibrary: herald-arp\nconfig: {interfaces: [eth0], gratuitous: {count: 3, intervalMs: 100}}\n",
            "20-ndp.yaml":
                "name: ndp\nlibrary: herald-ndp\nconfig: {interfaces: [eth0], gratuitous: {count: 3, intervalMs: 100}}\n",
            "30-rec.yaml":
                "name: rec\nlibrary: \(directory)/librecorder.so\ncallTimeoutMs: 1000\n"
                + "config: {record: \(record), hangInAnnounce: \(hang == .exclusive)}\n",
            "40-log.yaml": "name: log\nlibrary: herald-log\nconfig: {file: \(directory)/log-\(node).jsonl}\n",
            "50-stuck.yaml":
                "name: stuck\nlibrary: \(directory)/libstuck.so\ncallTimeoutMs: 1000\n"
                + "config: {hangInAnnounce: \(hang == .shared)}\n",
        ]
    }

    static func monotonic() -> UInt64 { LineProcess.monotonicNanoseconds() }

    static func percentile(_ values: [Double], _ p: Double) -> Double { TestSupport.percentile(values, p) }

    @Test func layer2OwnershipFailoverFencingAndEligibility() async throws {
        let lab = try await Lab.start("herald-lab", fixtures: true)
        let (cluster, directory) = (lab.cluster, lab.directory)
        defer { lab.destroy() }
        try await withClient(try cluster.adminClient("lab")) { client in
            await lab.createNodes(client)
            var hosts: [String: HostProcess] = [:]
            var deaths: [String: [UInt64]] = [:]
            func launch(_ index: Int, extra: [String] = [], hang: Hang = .none) throws {
                let name = lab.names[index]
                hosts[name] = try HostProcess(
                    cluster: cluster, node: name, directory: directory, config: Self.config, extra: extra,
                    netns: lab.nodes[index], plugins: Self.plugins(directory: directory, node: name, hang: hang))
            }
            for index in 0..<3 { try launch(index) }

            // 100 layer-2 Services: 80 IPv4, 20 IPv6.
            let ns = try await makeNamespace(client, "lab")
            var services = (0..<80).map { ControllerLab.service("v4-\($0)", namespace: ns) }
            services += (0..<20).map { ControllerLab.service("v6-\($0)", namespace: ns, families: ["IPv6"]) }
            try await ControllerLab.create(client, services)
            let assigned = try await ControllerLab.waitAssigned(
                client, namespace: ns, names: Set(services.compactMap(\.metadata.name)), timeout: .seconds(90))
            let v4 = (0..<80).compactMap { assigned["v4-\($0)"]?.addresses.first }
            let v6 = (0..<20).compactMap { assigned["v6-\($0)"]?.addresses.first }
            #expect(v4.count == 80 && v6.count == 20)

            // Every IPv4 address answers ARP from the router, from one of the nodes.
            var owners: [String: String] = [:]
            let answered = await eventually(timeout: .seconds(30)) {
                for address in v4 where owners[address] == nil {
                    if let node = await lab.owner(address) { owners[address] = node }
                }
                return owners.count == v4.count
            }
            let sample = answered ? "" : await lab.arping(v4[0])
            #expect(answered, "\(v4.count - owners.count) IPv4 addresses unanswered; arping says: \(sample)")
            #expect(Set(owners.values).count == 3, "ownership spreads over the nodes: \(Set(owners.values))")
            // `herald status` names, for each Service, the node that announces it: the one the router hears.
            let status = try await TestSupport.runDetached(
                [
                    try TestSupport.product("herald"), "status", "--kubeconfig", cluster.adminKubeconfig, "--config",
                    "\(directory)/node-a.yaml", "--plugins-dir", "\(directory)/plugins.d-node-a",
                ], combineOutput: false)
            #expect(status.status == 0, "\(status.stderr)")
            for address in v4.prefix(10) {
                let line = status.stdout.split(separator: "\n").first { $0.contains(" \(address) ") } ?? ""
                #expect(line.contains("arp: \(owners[address] ?? "?")"), "\(line)")
            }
            // Every IPv6 address answers Neighbor Solicitation (through the router's kernel).
            var v6Answered = 0
            for address in v6 {
                _ = try? await Lab.sh("ip netns exec \(lab.router) ping -6 -c1 -W1 \(address) >/dev/null 2>&1; true")
                let neigh = (try? await Lab.sh("ip -n \(lab.router) -6 neigh show \(address)")) ?? ""
                if lab.macs.values.contains(where: { neigh.lowercased().contains($0.lowercased()) }) { v6Answered += 1 }
            }
            #expect(v6Answered == 20, "\(v6Answered) of 20 IPv6 addresses answered")
            // Routed through the log plugin: every node announces the covering /26.
            for name in lab.names {
                let ok = await eventually(timeout: .seconds(10)) {
                    CLITestsRecords.read("\(directory)/log-\(name).jsonl").contains {
                        $0["call"] == "announce" && $0["id"] == "routed/198.51.100.128/25"
                    }
                }
                #expect(ok, "\(name) does not announce the aggregate")
            }

            // Failover: the owner of one address killed (-9), then stopped (SIGTERM), 10 times each.
            func failover(_ address: String, signal: Int32, trials: Int, extra: [String] = []) async throws -> [Double]
            {
                var times: [Double] = []
                for _ in 0..<trials {
                    // The router's kernel resolves the address first: its neighbour entry then names the owner.
                    _ = try? await Lab.sh("ip netns exec \(lab.router) ping -c1 -W1 \(address) >/dev/null 2>&1; true")
                    guard let owner = await lab.owner(address), let host = hosts[owner],
                        await lab.neighbourOwner(address) == owner
                    else {
                        Issue.record("\(address) has no owner")
                        return times
                    }
                    // A crash comes at any point of the renewal cycle, not in step with this loop.
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0..<1000)))
                    let start = Self.monotonic()
                    if signal == SIGKILL {
                        host.signal(SIGKILL)
                        deaths[owner, default: []].append(start)
                    } else {
                        host.signal(signal)
                    }
                    // Measured at the router: until its neighbour entry shows another node's MAC (the new owner's
                    // gratuitous ARP updates it).
                    var moved = false
                    while Self.monotonic() - start < 15_000_000_000 {
                        if let now = await lab.neighbourOwner(address), now != owner {
                            moved = true
                            break
                        }
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    let elapsed = Double(Self.monotonic() - start) / 1e9
                    #expect(moved, "\(address) did not move away from \(owner)")
                    times.append(elapsed)
                    await host.stop(SIGKILL, timeout: 5)
                    try launch(lab.names.firstIndex(of: owner)!, extra: extra)
                    // The owner comes back and takes its address again (it ranks first for it).
                    let back = await eventually(timeout: .seconds(20)) {
                        await lab.owner(address) == owner
                    }
                    #expect(back, "\(address) did not return to \(owner)")
                }
                return times
            }
            let probe = v4[0]
            let killed = try await failover(probe, signal: SIGKILL, trials: 10)
            let stopped = try await failover(probe, signal: SIGTERM, trials: 10)
            print(
                "lab failover, lease 3 s: kill -9 p50 \(String(format: "%.2f", Self.percentile(killed, 0.5))) s, "
                    + "max \(String(format: "%.2f", killed.max() ?? 0)) s; SIGTERM p50 "
                    + "\(String(format: "%.2f", Self.percentile(stopped, 0.5))) s, max "
                    + "\(String(format: "%.2f", stopped.max() ?? 0)) s")
            #expect(Self.percentile(killed, 0.5) <= 4.0)
            #expect(Self.percentile(stopped, 0.5) <= 1.0)

            // Partition: node-a loses the API server while its link stays up: it withdraws before its lease
            // expires (checked below from the recordings: no instant has two owners), and settles back after.
            let cutAddresses = owners.filter { $0.value == "node-a" }.map(\.key)
            await lab.disconnect(0)
            let cut = Self.monotonic()
            let away = await eventually(timeout: .seconds(15)) {
                await lab.none(of: cutAddresses, ownedBy: "node-a")
            }
            #expect(away, "node-a kept answering after it lost the API server")
            print(
                "lab partition: node-a's addresses answered elsewhere \(Double(Self.monotonic() - cut) / 1e9) s after the cut"
            )
            try lab.connect(0)
            let healed = Self.monotonic()
            let returned = await eventually(timeout: .seconds(30)) {
                await lab.all(of: cutAddresses, ownedBy: "node-a")
            }
            #expect(returned, "node-a did not take its addresses back")
            try await Task.sleep(for: .seconds(2))
            let settled = Self.monotonic()

            // Who answers the first 30 addresses with every node eligible: the owners the nodes must return to once
            // the labels below are restored.
            var ownersBefore: [String: String?] = [:]
            for address in v4.prefix(30) { ownersBefore[address] = await lab.owner(address) }

            // Eligibility: the exclusion label removes a node; nodeSelectors too (by label value).
            _ = try await cluster.kubectl([
                "label", "node", "node-b", "node.kubernetes.io/exclude-from-external-load-balancers=true",
            ])
            let excluded = await eventually(timeout: .seconds(15)) {
                await lab.none(of: v4.prefix(30), ownedBy: "node-b")
            }
            #expect(excluded, "node-b still answers while excluded")
            _ = try await cluster.kubectl([
                "label", "node", "node-b", "node.kubernetes.io/exclude-from-external-load-balancers-",
            ])
            // The advertisement selects nodes labelled lab=yes: relabelled, node-c stops announcing through it.
            _ = try await cluster.kubectl(["label", "node", "node-c", "lab=no", "--overwrite"])
            let deselected = await eventually(timeout: .seconds(15)) {
                await lab.none(of: v4.prefix(30), ownedBy: "node-c")
            }
            #expect(deselected, "node-c still answers while its labels do not match the advertisement")
            _ = try await cluster.kubectl(["label", "node", "node-c", "lab=yes", "--overwrite"])
            // Every node eligible again: each takes back what it answered before (after its claim delay). Until
            // then another node still answers some of them, which the next check must not count as node-b's.
            let restored = await eventually(timeout: .seconds(20)) {
                for address in v4.prefix(30) where await lab.owner(address) != ownersBefore[address] { return false }
                return true
            }
            #expect(restored, "the nodes did not take their addresses back once their labels were restored")

            // Data-plane health: node-b's link goes down. Its ARP instance reports unhealthy, node-b's lease carries
            // that, and the other nodes take its addresses (the router hears them from node-a or node-c); node-b's
            // Events say why. Link up: node-b takes them back.
            var onB: [String] = []
            for address in v4.prefix(30) where await lab.owner(address) == "node-b" { onB.append(address) }
            #expect(!onB.isEmpty, "node-b owns none of the first 30 addresses")
            _ = try await Lab.sh("ip -n \(lab.nodes[1]) link set eth0 down")
            let linkDown = Self.monotonic()
            let takenOver = await eventually(timeout: .seconds(15)) { await lab.allAnswered(onB) }
            #expect(takenOver, "node-b's addresses were not taken over while its link was down")
            print(
                "lab data-plane health: node-b's \(onB.count) addresses answered elsewhere "
                    + "\(String(format: "%.2f", Double(Self.monotonic() - linkDown) / 1e9)) s after its link went down")
            var nodeEvents = ""
            let unhealthyShown = await eventually(timeout: .seconds(10)) {
                nodeEvents =
                    (try? await cluster.kubectl([
                        "get", "events", "-A", "--field-selector",
                        "involvedObject.kind=Node,involvedObject.name=node-b",
                        "-o", "jsonpath={range .items[*]}{.reason} {.message}{\"\\n\"}{end}",
                    ]))?.output ?? ""
                return nodeEvents.contains("DataPlaneUnhealthy plugin instance \"arp\"")
            }
            #expect(unhealthyShown, "no DataPlaneUnhealthy Event on node-b for its ARP instance: \(nodeEvents)")
            // (The kernel drops a link's global IPv6 addresses when it goes down: put node-b's back.)
            _ = try await Lab.sh(
                "ip -n \(lab.nodes[1]) link set eth0 up && ip -n \(lab.nodes[1]) addr replace 2001:db8::12/64 dev eth0 nodad"
            )
            let linkBack = await eventually(timeout: .seconds(20)) { await lab.all(of: onB, ownedBy: "node-b") }
            var linkBackDetail = ""
            if !linkBack {
                // What each side believes: who answers now, node-b's lease (its unhealthy instances), its Events,
                // and what node-b's host said.
                for address in onB { linkBackDetail += "\(address): \(await lab.arping(address))\n" }
                linkBackDetail +=
                    (try? await cluster.kubectl([
                        "get", "lease", "-n", "herald-system", "herald-member-node-b", "-o",
                        "jsonpath={.metadata.annotations}",
                    ]))?.output ?? ""
                linkBackDetail += "\nnode-b events:\n" + nodeEvents
                linkBackDetail += "\nnode-b log:\n" + (hosts["node-b"]?.output.suffix(4000).description ?? "")
            }
            #expect(linkBack, "node-b did not take its addresses back after its link came up:\n\(linkBackDetail)")

            // A plugin's event reaches the Service: the router claims a Service's address (a duplicate IP on the
            // segment); the owner's ARP plugin reports the conflict, and the Service's Events say so.
            let conflicted = assigned["v4-1"]?.addresses.first ?? ""
            _ = try await Lab.sh(
                "ip -n \(lab.router) addr add \(conflicted)/32 dev br0 && ip netns exec \(lab.router) "
                    + "arping -U -c 2 -I br0 -s \(conflicted) \(conflicted) >/dev/null 2>&1; "
                    + "ip -n \(lab.router) addr del \(conflicted)/32 dev br0")
            var conflictEvents = ""
            let reported = await eventually(timeout: .seconds(10)) {
                conflictEvents =
                    (try? await cluster.kubectl([
                        "get", "events", "-n", ns, "--field-selector",
                        "involvedObject.name=v4-1,reason=AddressConflict",
                        "-o", "jsonpath={range .items[*]}{.type} {.message}{\"\\n\"}{end}",
                    ]))?.output ?? ""
                return conflictEvents.contains("Warning") && conflictEvents.contains("\(conflicted) is also claimed by")
            }
            #expect(reported, "no AddressConflict Event on v4-1 (\(conflicted)): \(conflictEvents)")

            // externalTrafficPolicy: Local: only the node with the ready endpoint announces; moving it moves the
            // address.
            var local = ControllerLab.service("local", namespace: ns)
            local.spec?.externalTrafficPolicy = "Local"
            try await ControllerLab.create(client, [local])
            let localAddress =
                try await ControllerLab.waitAssigned(client, namespace: ns, names: ["local"])["local"]?
                .addresses.first ?? ""
            func endpoint(on node: String) async throws {
                let slice = """
                    {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"local-1",
                    "namespace":"\(ns)","labels":{"kubernetes.io/service-name":"local"}},"addressType":"IPv4",
                    "endpoints":[{"addresses":["10.244.0.9"],"conditions":{"ready":true},"nodeName":"\(node)"}]}
                    """
                try slice.write(toFile: "\(directory)/slice.json", atomically: true, encoding: .utf8)
                let out = try await cluster.kubectl([
                    "apply", "--server-side", "--force-conflicts", "-f", "\(directory)/slice.json",
                ])
                #expect(out.status == 0, "\(out.output)")
            }
            for node in ["node-c", "node-a"] {
                try await endpoint(on: node)
                let followed = await eventually(timeout: .seconds(15)) {
                    await lab.owner(localAddress) == node
                }
                #expect(followed, "\(localAddress) is not announced from \(node), where its endpoint is")
            }

            // The allocator killed at the same time as an owner: addresses never change, announcements recover.
            let allocator = try await ControllerLab.allocator(client) ?? ""
            let before = try await ControllerLab.snapshot(client, namespace: ns)
            let victim = lab.names.first { $0 != allocator } ?? "node-c"
            for name in Set([allocator, victim]) {
                hosts[name]?.signal(SIGKILL)
                deaths[name, default: []].append(Self.monotonic())
            }
            let recovered = await eventually(timeout: .seconds(20)) {
                await lab.allAnswered(v4.prefix(30))
            }
            #expect(recovered, "announcements did not recover")
            let after = try await ControllerLab.snapshot(client, namespace: ns)
            #expect(before.mapValues(\.addresses) == after.mapValues(\.addresses), "an address changed")

            // The same with a 0.5 s renewal and a 1.5 s lease.
            let short = ["--membership-renew-interval", "0.5", "--membership-lease-duration", "1.5"]
            for index in 0..<3 {
                await hosts[lab.names[index]]?.stop(SIGKILL, timeout: 5)
                deaths[lab.names[index], default: []].append(Self.monotonic())
                try launch(index, extra: short)
            }
            let answeredAgain = await eventually(timeout: .seconds(30)) { await lab.owner(probe) != nil }
            #expect(answeredAgain)
            try await Task.sleep(for: .seconds(3))
            let quick = try await failover(probe, signal: SIGKILL, trials: 5, extra: short)
            let quickStop = try await failover(probe, signal: SIGTERM, trials: 5, extra: short)
            print(
                "lab failover, lease 1.5 s: kill -9 p50 \(String(format: "%.2f", Self.percentile(quick, 0.5))) s, "
                    + "max \(String(format: "%.2f", quick.max() ?? 0)) s; SIGTERM p50 "
                    + "\(String(format: "%.2f", Self.percentile(quickStop, 0.5))) s")
            #expect(Self.percentile(quick, 0.5) <= 2.0)

            // A status patched with an address outside every pool (by anyone who may write services/status): no node
            // plans it, so no protocol announces it. The allocator puts its own address back; until it does, and
            // while the patch is repeated, the router hears no answer for the foreign address, and neither the
            // exclusive recorder nor the routed log plugin is ever called with it.
            let foreign = "198.51.100.60"
            let foreignSampler = try ARPSampler(namespace: lab.router, addresses: [foreign])
            for _ in 0..<25 {
                _ = try? await client.patchServiceStatus(
                    namespace: ns, name: "v4-2", loadBalancer: .init(ingress: [.init(ip: foreign)]))
                try await Task.sleep(for: .milliseconds(200))
            }
            let (foreignRounds, _) = foreignSampler.finish()
            let foreignAnswers = foreignSampler.process.lines.filter {
                $0.hasPrefix("owner ") || $0.hasPrefix("double ")
            }
            #expect(
                foreignRounds >= 20,
                "the ARP sampler ran \(foreignRounds) rounds: \(foreignSampler.process.lines.suffix(5))")
            #expect(foreignAnswers.isEmpty, "\(foreign) was answered: \(foreignAnswers)")
            for name in lab.names {
                let recorded = (try? String(contentsOfFile: "\(directory)/rec-\(name).txt", encoding: .utf8)) ?? ""
                let logged = (try? String(contentsOfFile: "\(directory)/log-\(name).jsonl", encoding: .utf8)) ?? ""
                #expect(!recorded.contains(foreign) && !logged.contains(foreign), "\(name) announced \(foreign)")
            }
            print("lab foreign status address: \(foreignRounds) ARP rounds, no answer, no plugin call")
            let statusBack = await eventually(timeout: .seconds(20)) {
                let now = try? await ControllerLab.snapshot(client, namespace: ns)
                return now?["v4-2"]?.addresses == assigned["v4-2"]?.addresses
            }
            #expect(statusBack, "the allocator did not put v4-2's own address back after the foreign patch")

            // A call that never returns on node-a: first in a shared instance (its announce; deadline 1 s). The loop
            // goes on, so node-a's eligibility changes still move its addresses: at no sampled instant (ARP from the
            // router every 0.1 s) do two nodes answer for one address.
            let mine = v4.prefix(30).filter { ownersBefore[$0] == "node-a" }
            await hosts["node-a"]?.stop(SIGTERM, timeout: 5)
            try launch(0, extra: short, hang: .shared)
            let hungShared = await eventually(timeout: .seconds(20)) {
                hosts["node-a"]?.output.contains("did not return within 1") ?? false
            }
            #expect(hungShared, "node-a's stuck instance did not overrun its deadline")
            let settledA = await eventually(timeout: .seconds(30)) { await lab.all(of: mine, ownedBy: "node-a") }
            #expect(settledA && !mine.isEmpty, "node-a did not take back \(mine) while its stuck instance hangs")
            let sampled = Array(v4.prefix(30)) + [localAddress]
            let sampler = try ARPSampler(namespace: lab.router, addresses: sampled)
            var moves: [String: Double] = [:]
            func awayAndBack(_ what: String, leave: [String], restore: [String], addresses: [String]) async throws {
                let start = Self.monotonic()
                _ = try await cluster.kubectl(leave)
                let away = await eventually(timeout: .seconds(15)) {
                    guard await lab.none(of: addresses, ownedBy: "node-a") else { return false }
                    return await lab.allAnswered(addresses)
                }
                moves[what] = Double(Self.monotonic() - start) / 1e9
                #expect(away, "\(what): node-a's addresses did not move while its plugin call hangs")
                _ = try await cluster.kubectl(restore)
                let back = await eventually(timeout: .seconds(20)) { await lab.all(of: addresses, ownedBy: "node-a") }
                #expect(back, "\(what): node-a did not take its addresses back")
            }
            let exclusion = "node.kubernetes.io/exclude-from-external-load-balancers"
            try await awayAndBack(
                "exclusion label", leave: ["label", "node", "node-a", "\(exclusion)=true"],
                restore: ["label", "node", "node-a", "\(exclusion)-"], addresses: mine)
            try await awayAndBack(
                "selector", leave: ["label", "node", "node-a", "lab=no", "--overwrite"],
                restore: ["label", "node", "node-a", "lab=yes", "--overwrite"], addresses: mine)
            // Endpoints moved: the Local Service's endpoint (on node-a since the step above) goes to node-b.
            let endpointMoved = Self.monotonic()
            try await endpoint(on: "node-b")
            let followedB = await eventually(timeout: .seconds(15)) { await lab.owner(localAddress) == "node-b" }
            moves["endpoints"] = Double(Self.monotonic() - endpointMoved) / 1e9
            #expect(followedB, "\(localAddress) did not follow its endpoint to node-b while node-a's plugin hangs")
            let (rounds, doubles) = sampler.finish()
            #expect(rounds >= 20, "the ARP sampler ran \(rounds) rounds: \(sampler.process.lines.suffix(5))")
            #expect(doubles.isEmpty, "two nodes answered at once: \(doubles.prefix(10))")
            print(
                "lab hung shared call on node-a: \(rounds) ARP rounds over \(sampled.count) addresses, "
                    + "\(doubles.count) with two answers; moved away in "
                    + moves.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2f", $0.value)) s" }
                    .joined(separator: ", "))

            // Then in the exclusive recorder: node-a holds its membership renewals (a hung exclusive instance may
            // still answer), its lease lapses, and the other nodes take its addresses; if it still holds exclusive
            // announcements after its fence, its watchdog ends the process. Never two answers at once.
            await hosts["node-a"]?.stop(SIGTERM, timeout: 5)
            let exclusiveSampler = try ARPSampler(namespace: lab.router, addresses: Array(v4.prefix(30)))
            let hangStart = Self.monotonic()
            try launch(0, extra: short, hang: .exclusive)
            let elsewhere = await eventually(timeout: .seconds(20)) {
                guard hosts["node-a"]?.output.contains("did not return within 1") ?? false else { return false }
                guard await lab.none(of: mine, ownedBy: "node-a") else { return false }
                return await lab.allAnswered(mine)
            }
            #expect(elsewhere, "node-a's addresses were not answered elsewhere while its exclusive instance hangs")
            try await Task.sleep(for: .seconds(3))
            #expect(await lab.none(of: mine, ownedBy: "node-a"), "node-a answered again while its instance hangs")
            let (exclusiveRounds, exclusiveDoubles) = exclusiveSampler.finish()
            #expect(exclusiveRounds >= 20, "the ARP sampler ran \(exclusiveRounds) rounds")
            #expect(exclusiveDoubles.isEmpty, "two nodes answered at once: \(exclusiveDoubles.prefix(10))")
            let exitedA = hosts["node-a"].map { !$0.isRunning } ?? false
            print(
                "lab hung exclusive call on node-a: its addresses answered elsewhere, \(exclusiveRounds) ARP rounds, "
                    + "\(exclusiveDoubles.count) with two answers, \(Double(Self.monotonic() - hangStart) / 1e9) s "
                    + "sampled; node-a \(exitedA ? "exited (watchdog)" : "still running, fenced")")
            await hosts["node-a"]?.stop(SIGKILL, timeout: 5)
            deaths["node-a", default: []].append(Self.monotonic())

            // From the recordings: no instant with two owners of one address, over the whole run.
            var records: [Recorded] = []
            for name in lab.names { records += Recorded.read("\(directory)/rec-\(name).txt", node: name) }
            #expect(records.count > 100)
            let overlaps = Recorded.overlaps(records, ends: deaths)
            #expect(overlaps.isEmpty, "\(overlaps.prefix(10))")
            // No flapping after the partition healed: at most one change of owner per address.
            let afterHeal = records.filter { $0.time > healed && $0.announce && $0.time < settled }
            let changes = Dictionary(grouping: afterHeal, by: \.id).mapValues(\.count)
            #expect(changes.values.allSatisfy { $0 <= 1 }, "\(changes.filter { $0.value > 1 })")

            for host in hosts.values { await host.stop(SIGKILL, timeout: 5) }
            try await ControllerLab.cleanUp(client)
        }
    }
}

/// The log plugin's JSON lines.
enum CLITestsRecords {
    static func read(_ path: String) -> [[String: String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String]
        }
    }
}
