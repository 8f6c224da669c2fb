import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import HeraldTestSupport
import Testing

/// `isolation: process` in the 3-node lab: an exclusive plugin in a plugin runner that aborts, faults, hangs, closes
/// every descriptor or leaks in `announce` on node-a ends its runner only. node-a publishes the instance unhealthy, the other nodes take its exclusive addresses,
/// node-a's other instances (ARP in the host, the log plugin) withdraw nothing, and once the runner is back node-a
/// takes its addresses again and the new runner announces them.
@Suite(.serialized) struct PluginFaultLabTests {
    static let config = """
        apiVersion: herald.dev/v1
        pools:
          - {name: v4, addresses: [198.51.100.128/25]}
        advertisements:
          - {name: l2, plugin: arp, pools: [v4]}
          - {name: rec, plugin: rec, pools: [v4]}
          - {name: routed, plugin: log, pools: [v4]}
        """

    /// The faults, each made by the recorder's announce while its count file says so (the fixture's
    /// `abortCountFile`): an abort, a segfault, a hang past the call deadline (the host kills the runner), every
    /// descriptor closed (the runner's socket with them), and a leak of 10 MiB a second from that announce on,
    /// which the runner's 256 MiB limit ends.
    enum Fault: String, CaseIterable, Sendable {
        case abort, segfault, hang, closeDescriptors, leak

        var config: String {
            switch self {
            case .abort: ""
            case .segfault: ", segfaultInAnnounce: true"
            case .hang: ", hangInAnnounce: true"
            case .closeDescriptors: ", closeDescriptorsInAnnounce: true"
            case .leak: ", leakMiBPerSecond: 10"
            }
        }
    }

    static func plugins(directory: String, node: String, fault: Fault) -> [String: String] {
        [
            "10-arp.yaml":
                "name: arp\nlibrary: herald-arp\nconfig: {interfaces: [eth0], gratuitous: {count: 3, intervalMs: 100}}\n",
            "30-rec.yaml":
                "name: rec\nlibrary: \(directory)/librecorder.so\ncallTimeoutMs: 1000\nisolation: process\n"
                + "memoryLimitMiB: \(fault == .leak ? 256 : 1024)\n"
                + "config: {record: \(directory)/rec-\(node).txt, abortCountFile: \(directory)/abort-\(node)"
                + "\(fault.config)}\n",
            "40-log.yaml": "name: log\nlibrary: herald-log\nconfig: {file: \(directory)/log-\(node).jsonl}\n",
        ]
    }

    /// The ids a node's recorder announces now (its announcements since its runner last started).
    static func current(_ path: String) -> Set<String> {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var ids: Set<String> = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2 else { continue }
            switch parts[1] {
            case "start": ids = []
            case "announce" where parts.count >= 3: ids.insert(String(parts[2]))
            case "withdraw" where parts.count >= 3: ids.remove(String(parts[2]))
            default: break
            }
        }
        return ids
    }

    @Test(arguments: Fault.allCases)
    func aFailingRunnerMovesItsExclusiveAddressesAndComesBack(fault: Fault) async throws {
        let lab = try await Lab.start("herald-isolation", fixtures: true)
        let (cluster, directory) = (lab.cluster, lab.directory)
        defer { lab.destroy() }
        try await withClient(try cluster.adminClient("lab")) { client in
            await lab.createNodes(client)
            var hosts: [String: HostProcess] = [:]
            for (index, name) in lab.names.enumerated() {
                try "0\n".write(toFile: "\(directory)/abort-\(name)", atomically: false, encoding: .utf8)
                hosts[name] = try HostProcess(
                    cluster: cluster, node: name, directory: directory, config: Self.config, netns: lab.nodes[index],
                    plugins: Self.plugins(directory: directory, node: name, fault: fault))
            }
            defer { for host in hosts.values where host.isRunning { kill(host.pid, SIGKILL) } }
            func rec(_ node: String) -> Set<String> { Self.current("\(directory)/rec-\(node).txt") }

            let ns = try await makeNamespace(client, "isolation")
            let services = (0..<24).map { ControllerLab.service("v4-\($0)", namespace: ns) }
            try await ControllerLab.create(client, services)
            let assigned = try await ControllerLab.waitAssigned(
                client, namespace: ns, names: Set(services.compactMap(\.metadata.name)), timeout: .seconds(90))
            let addresses = (0..<24).compactMap { assigned["v4-\($0)"]?.addresses.first }
            #expect(addresses.count == 24)

            // Steady: every address recorded by exactly one node's recorder, and answered over ARP.
            let steady = await eventually(timeout: .seconds(30)) {
                let all = lab.names.map { rec($0) }
                return all.reduce(0) { $0 + $1.count } == 24 && Set(all.flatMap { $0 }).count == 24
            }
            #expect(steady, "recorders: \(lab.names.map { rec($0).count })")
            var arpOwners: [String: String] = [:]
            _ = await eventually(timeout: .seconds(30)) {
                for address in addresses where arpOwners[address] == nil {
                    if let node = await lab.owner(address) { arpOwners[address] = node }
                }
                return arpOwners.count == addresses.count
            }
            let arpA = arpOwners.filter { $0.value == "node-a" }.map(\.key)
            let recA = rec("node-a")
            try #require(!recA.isEmpty && !arpA.isEmpty, "node-a owns nothing: rec \(recA), arp \(arpA)")

            // The fault: node-a's next three announces end its runner. One of its addresses is given back to it
            // (the Service deleted, then created again with the same address), so that an announce comes.
            let victimID = recA.sorted()[0]
            let victim = try #require(addresses.first { victimID.contains("/\($0)/") })
            let victimService = try #require(assigned.first { $0.value.addresses.first == victim }?.key)
            try await client.delete(Service.self, name: victimService, namespace: ns)
            let withdrawn = await eventually(timeout: .seconds(20)) {
                lab.names.allSatisfy { !rec($0).contains(victimID) }
            }
            #expect(withdrawn, "\(victimID) was not withdrawn")
            // Three faults, one after each restart; one leak (it ends its runner a second or two after the announce
            // that starts it, while the loop goes on).
            let faults = fault == .leak ? 1 : 3
            try "\(faults)\n".write(toFile: "\(directory)/abort-node-a", atomically: false, encoding: .utf8)
            let logLinesBefore = CLITestsRecords.read("\(directory)/log-node-a.jsonl").count
            let faultStart = ContinuousClock.now
            try await ControllerLab.create(
                client, [ControllerLab.service(victimService, namespace: ns, loadBalancerIP: victim)])

            // node-a's exclusive addresses move to the other nodes while its runner is down.
            var movedAfter: Duration?
            var arpStayed = true
            var arpSeen: [String] = []
            /// Whether node-a still answers for its first two ARP addresses (what else answered, and when, if not).
            func arpOnA() async -> Bool {
                // (Not the victim's address: its Service was deleted and created again, and ARP follows that.)
                for address in arpA.filter({ $0 != victim }).prefix(2) {
                    let owner = await lab.owner(address)
                    guard owner != "node-a" else { continue }
                    arpSeen.append("\(address): \(owner ?? "no answer") at \(ContinuousClock.now - faultStart)")
                    return false
                }
                return true
            }
            let moved = await eventually(timeout: .seconds(fault == .leak ? 60 : 20)) {
                if !(await arpOnA()) { arpStayed = false }
                let elsewhere = rec("node-b").union(rec("node-c"))
                guard recA.subtracting([victimID]).isSubset(of: elsewhere) else { return false }
                movedAfter = ContinuousClock.now - faultStart
                return true
            }
            let output = hosts["node-a"]?.output ?? ""
            #expect(moved, "node-a's addresses did not move; node-a said: \(output.suffix(2000))")
            #expect(output.contains("PluginRunnerExited") || output.contains("plugin runner"), "\(output.suffix(2000))")
            #expect(hosts["node-a"]?.isRunning == true, "the host ended with its plugin runner")

            // The runner is restarted (after 1, 2 and 4 s), and node-a takes back its addresses and announces them.
            var backAfter: Duration?
            func starts() -> Int {
                ((try? String(contentsOfFile: "\(directory)/rec-node-a.txt", encoding: .utf8)) ?? "")
                    .split(separator: "\n").filter { $0.split(separator: " ").dropFirst().first == "start" }.count
            }
            func faultsLeft() -> String {
                ((try? String(contentsOfFile: "\(directory)/abort-node-a", encoding: .utf8)) ?? "?")
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let back = await eventually(timeout: .seconds(45)) {
                if !(await arpOnA()) { arpStayed = false }
                // Back: every fault made and restarted from, and node-a announcing its addresses again.
                guard faultsLeft() == "0", starts() >= 1 + faults else { return false }
                guard recA.union([victimID]).isSubset(of: rec("node-a")) else { return false }
                guard rec("node-b").union(rec("node-c")).isDisjoint(with: recA) else { return false }
                backAfter = ContinuousClock.now - faultStart
                return true
            }
            #expect(
                back,
                "node-a did not announce its addresses again; faults left: \(faultsLeft()), recorder starts: \(starts())"
            )

            // node-a's other instances went on: ARP answered by node-a throughout, the log plugin withdrew nothing.
            #expect(arpStayed, "node-a's ARP addresses moved while only its recorder's runner failed: \(arpSeen)")
            #expect(await lab.all(of: arpA, ownedBy: "node-a"))
            let logAfter = CLITestsRecords.read("\(directory)/log-node-a.jsonl").dropFirst(logLinesBefore)
            #expect(!logAfter.contains { $0["call"] == "withdraw" }, "\(logAfter.filter { $0["call"] == "withdraw" })")
            print(
                "lab runner \(fault) on node-a: \(recA.count) exclusive addresses moved in "
                    + "\(movedAfter.map { "\($0)" } ?? "-"), back on node-a in \(backAfter.map { "\($0)" } ?? "-") "
                    + "after \(faults) faults; \(arpA.count) ARP addresses and the log plugin untouched")
            for host in hosts.values { await host.stop(SIGTERM, timeout: 10) }
            try await ControllerLab.cleanUp(client)
        }
    }
}
