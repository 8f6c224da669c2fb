import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import HeraldTestSupport
import Testing

/// MetalLB mode in the layer-2 lab: three nodes run `herald run --metallb-namespace NS` (every role, the ARP and NDP
/// instances derived from MetalLB's L2Advertisement, their interfaces from plugins.d), and MetalLB's users read who
/// announces each Service where they read it with MetalLB: `kubectl get servicel2statuses`.
@Suite(.serialized) struct MetalLBLabTests {
    /// Each Service's ServiceL2Status names the node the router hears answering ARP for its address, and only that
    /// node; a deleted Service's status goes, and after its owner stops, the status names the new owner.
    @Test func serviceL2StatusNamesTheNodeTheRouterHears() async throws {
        let lab = try await Lab.start("herald-metallb-lab", fixtures: false)
        defer { lab.destroy() }
        let cluster = lab.cluster
        let namespace = uniqueName("metallb")
        _ = try await MetalLBLiveTests.cluster(namespace: namespace, instance: "lab")
        try await MetalLBLiveTests.apply(
            cluster,
            """
            apiVersion: metallb.io/v1beta1
            kind: IPAddressPool
            metadata: {name: lab-pool, namespace: \(namespace)}
            spec:
              addresses: [198.51.100.64/28]
            ---
            apiVersion: metallb.io/v1beta1
            kind: L2Advertisement
            metadata: {name: lab-l2, namespace: \(namespace)}
            spec:
              ipAddressPools: [lab-pool]
            """)
        try await withClient(try cluster.adminClient("metallb-lab")) { client in
            await lab.createNodes(client)
            var hosts: [String: HostProcess] = [:]
            for (index, name) in lab.names.enumerated() {
                hosts[name] = try HostProcess(
                    cluster: cluster, node: name, directory: lab.directory,
                    config: "apiVersion: herald.dev/v1\nkind: HeraldConfig\n",
                    extra: ["--metallb-namespace", namespace], netns: lab.nodes[index],
                    plugins: [
                        "arp.yaml": "name: arp\nlibrary: herald-arp\nconfig: {interfaces: [eth0]}\n",
                        "ndp.yaml": "name: ndp\nlibrary: herald-ndp\nconfig: {interfaces: [eth0]}\n",
                    ])
            }
            defer { for host in hosts.values where host.isRunning { host.signal(SIGKILL) } }

            let apps = try await makeNamespace(client, "metallb-lab")
            let names = (1...6).map { "web-\($0)" }
            try await ControllerLab.create(client, names.map { ControllerLab.service($0, namespace: apps) })
            let assigned = try await ControllerLab.waitAssigned(client, namespace: apps, names: Set(names))
            let addresses = names.compactMap { name in assigned[name]?.addresses.first.map { (name, $0) } }
            try #require(addresses.count == names.count, "\(hosts.values.map(\.output).joined())")

            // Who answers ARP, and who the status objects name.
            func statuses() async throws -> [String: [String]] {
                let text = try await MetalLBLiveTests.kubectl(
                    cluster,
                    [
                        "get", "servicel2statuses.metallb.io", "-n", namespace, "-o",
                        "jsonpath={range .items[*]}{.status.serviceNamespace}/{.status.serviceName} {.status.node} "
                            + "{.metadata.labels.metallb\\.io/node}{\"\\n\"}{end}",
                    ])
                var result: [String: [String]] = [:]
                for line in text.split(separator: "\n") {
                    let fields = line.split(separator: " ").map(String.init)
                    guard fields.count == 3 else { continue }
                    // The label says what the status says.
                    result[fields[0], default: []].append(
                        fields[1] == fields[2] ? fields[1] : "\(fields[1])≠\(fields[2])")
                }
                return result
            }
            func agree(_ expected: [(String, String)]) async throws -> (Bool, [String: [String]], [String: String]) {
                var owners: [String: String] = [:]
                var shown: [String: [String]] = [:]
                let ok = try await eventually(timeout: .seconds(30)) {
                    for (name, address) in expected { owners[name] = await lab.owner(address) }
                    shown = try await statuses()
                    return expected.allSatisfy { name, _ in
                        owners[name] != nil && shown["\(apps)/\(name)"] == [owners[name]!]
                    } && shown.count == expected.count
                }
                return (ok, shown, owners)
            }
            let started = ContinuousClock.now
            let (ok, shown, owners) = try await agree(addresses)
            print("metallb-lab: status objects agree with the ARP owners after \(ContinuousClock.now - started)")
            #expect(ok, "statuses \(shown), ARP owners \(owners)")
            let table = try await MetalLBLiveTests.kubectl(cluster, ["get", "servicel2statuses.metallb.io", "-A"])
            print("metallb-lab: kubectl get servicel2statuses -A\n\(table)")
            #expect(table.contains("Allocated Node") || table.contains("ALLOCATED NODE"), "\(table)")

            // A deleted Service's status goes.
            try await client.delete(Service.self, name: names[0], namespace: apps)
            let remaining = Array(addresses.dropFirst())
            let (gone, afterDelete, _) = try await agree(remaining)
            #expect(gone, "after deleting \(names[0]): \(afterDelete)")

            // The owner of one address stops (SIGTERM): the status names the node that answers now.
            let (name, _) = remaining[0]
            let owner = try #require(owners[name])
            await hosts[owner]!.stop()
            let (moved, afterStop, newOwners) = try await agree(remaining)
            #expect(moved, "after stopping \(owner): statuses \(afterStop), ARP owners \(newOwners)")
            #expect(newOwners[name] != owner, "\(name) still answered by \(owner)")
            #expect(!afterStop.values.contains { $0.contains(owner) }, "\(owner) stopped but still named: \(afterStop)")
        }
    }
}
