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
    /// With the L2Advertisement created after the hosts started, each Service's ServiceL2Status names the node the
    /// router hears answering ARP for its address, and only that node; a deleted Service's status goes, and after its owner stops, the status names the new owner.
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

            // The L2Advertisement comes after the hosts started: it takes no restart.
            try await Task.sleep(for: .seconds(1))
            try await MetalLBLiveTests.apply(
                cluster,
                """
                apiVersion: metallb.io/v1beta1
                kind: L2Advertisement
                metadata: {name: lab-l2, namespace: \(namespace)}
                spec:
                  ipAddressPools: [lab-pool]
                """)
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
            // An invalid object: every node's ConfigurationState says so, and the object gets one Event for the
            // cluster (from the leading allocator), not one per node.
            try await MetalLBLiveTests.apply(
                cluster,
                """
                apiVersion: metallb.io/v1beta1
                kind: IPAddressPool
                metadata: {name: broken, namespace: \(namespace)}
                spec:
                  addresses: [198.51.100.300/28]
                """)
            let running = lab.names.filter { $0 != owner }
            var states: [String] = []
            let allInvalid = try await eventually(timeout: .seconds(20)) {
                states = []
                for node in running {
                    states.append(
                        try await MetalLBLiveTests.configurationState(cluster, namespace: namespace, node: node))
                }
                return states.allSatisfy { $0.hasPrefix("Invalid ") && $0.contains("broken") }
            }
            #expect(allInvalid, "\(states)")
            try await Task.sleep(for: .seconds(2))
            let events = try await MetalLBLiveTests.invalidConfigurationEvents(
                cluster, namespace: namespace, object: "broken")
            let lines = events.split(separator: "\n")
            print(
                "metallb-lab: InvalidConfiguration Events on the broken pool with \(running.count) nodes running: \(lines.count)"
            )
            #expect(lines.count == 1 && lines.allSatisfy { $0.hasPrefix("Warning IPAddressPool") }, "\(events)")

            // The lab's API server is shared: the next test's allocator should not find these.
            for (name, _) in remaining { try await client.delete(Service.self, name: name, namespace: apps) }
        }
    }

    /// MetalLB's BGP objects (a Community with aliases, a BGPAdvertisement with localPref and communities, an iBGP
    /// BGPPeer with a BFDProfile) read live: BIRD receives from every node the route `herald convert` of the same
    /// objects gives, attribute for attribute (local preference and communities included), BFD is Up with every node,
    /// and each node's ServiceBGPStatus lists the peer.
    @Test func bgpFromLiveObjectsCarriesWhatConvertGives() async throws {
        let lab = try await Lab.start("herald-metallb-bgp", fixtures: false)
        defer { lab.destroy() }
        let cluster = lab.cluster
        let namespace = uniqueName("metallb")
        _ = try await MetalLBLiveTests.cluster(namespace: namespace, instance: "lab")
        let manifest = """
            apiVersion: metallb.io/v1beta1
            kind: Community
            metadata: {name: aliases, namespace: \(namespace)}
            spec:
              communities:
                - {name: vpn-only, value: "1234:1"}
                - {name: big, value: "large:64500:1:2"}
            ---
            apiVersion: metallb.io/v1beta1
            kind: IPAddressPool
            metadata: {name: bgp-pool, namespace: \(namespace)}
            spec:
              addresses: [192.0.2.0/28]
            ---
            apiVersion: metallb.io/v1beta2
            kind: BGPPeer
            metadata: {name: router, namespace: \(namespace)}
            spec: {myASN: 64512, peerASN: 64512, peerAddress: 198.51.100.1, holdTime: 9s, bfdProfile: fast}
            ---
            apiVersion: metallb.io/v1beta1
            kind: BFDProfile
            metadata: {name: fast, namespace: \(namespace)}
            spec: {receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3}
            ---
            apiVersion: metallb.io/v1beta1
            kind: BGPAdvertisement
            metadata: {name: upstream, namespace: \(namespace)}
            spec:
              ipAddressPools: [bgp-pool]
              localPref: 150
              communities: [vpn-only, "65535:65282", big, no-export]
            """
        let router = try LabBird(lab: lab, peerASN: 64512, bfd: true)
        defer { router.stop() }
        try await withClient(try cluster.adminClient("metallb-bgp")) { client in
            await lab.createNodes(client)
            let apps = try await makeNamespace(client, "metallb-bgp")

            // herald convert of the objects, run on node-a as Herald's own configuration.
            let file = "\(lab.directory)/metallb.yaml"
            try manifest.write(toFile: file, atomically: true, encoding: .utf8)
            let converted = "\(lab.directory)/converted"
            let convert = try await DevCluster.run(
                try TestSupport.product("herald"), ["convert", "--output", converted, file])
            try #require(convert.status == 0, "herald convert: \(convert.output)")
            let plugins = try FileManager.default.contentsOfDirectory(atPath: "\(converted)/plugins.d")
            let byConvert = try HostProcess(
                cluster: cluster, node: lab.names[0], directory: lab.directory,
                config: String(contentsOfFile: "\(converted)/herald.yaml", encoding: .utf8), netns: lab.nodes[0],
                plugins: Dictionary(
                    uniqueKeysWithValues: try plugins.map {
                        ($0, try String(contentsOfFile: "\(converted)/plugins.d/\($0)", encoding: .utf8))
                    }))
            try await ControllerLab.create(client, [ControllerLab.service("web", namespace: apps)])
            let assigned = try await ControllerLab.waitAssigned(client, namespace: apps, names: ["web"])
            let address = try #require(assigned["web"]?.addresses.first, "\(byConvert.output)")
            let prefix = "\(address)/32"
            var expected: Set<String> = []
            let announced = await eventually(timeout: .seconds(30)) {
                expected = await router.paths(prefix)["198.51.100.11"] ?? []
                return !expected.isEmpty
            }
            let protocols = await router.query("show protocols")
            #expect(announced, "\(protocols)\n\(byConvert.output)")
            #expect(expected.contains("BGP.local_pref: 150"), "\(expected)")
            #expect(
                expected.contains {
                    $0.hasPrefix("BGP.community:") && $0.contains("(1234,1)") && $0.contains("(65535,65281)")
                        && $0.contains("(65535,65282)")
                }, "\(expected)")
            #expect(expected.contains("BGP.large_community: (64500, 1, 2)"), "\(expected)")
            await byConvert.stop()

            // The same objects read live, on every node.
            try await MetalLBLiveTests.apply(
                cluster, manifest.replacingOccurrences(of: "metallb-system", with: namespace))
            var hosts: [HostProcess] = []
            for (index, name) in lab.names.enumerated() {
                hosts.append(
                    try HostProcess(
                        cluster: cluster, node: name, directory: lab.directory,
                        config: "apiVersion: herald.dev/v1\nkind: HeraldConfig\n",
                        extra: ["--metallb-namespace", namespace], netns: lab.nodes[index], plugins: [:]))
            }
            defer { for host in hosts where host.isRunning { host.signal(SIGKILL) } }
            var paths: [String: Set<String>] = [:]
            func withoutNextHop(_ lines: Set<String>) -> Set<String> { lines.filter { !$0.hasPrefix("BGP.next_hop") } }
            let fromAll = await eventually(timeout: .seconds(30)) {
                paths = await router.paths(prefix)
                return paths.count == 3
            }
            print("metallb-bgp: \(prefix) from \(paths.keys.sorted()): \(withoutNextHop(expected).sorted())")
            #expect(fromAll, "paths: \(paths)\n\(hosts.map(\.output).joined())")
            // Attribute for attribute what the converted configuration gave, but for each node's next hop.
            for (from, attributes) in paths {
                #expect(withoutNextHop(attributes) == withoutNextHop(expected), "from \(from): \(attributes)")
            }
            let kept = try await ControllerLab.snapshot(client, namespace: apps)["web"]?.addresses
            #expect(kept == assigned["web"]?.addresses, "the address changed with the configuration source")

            // BFD, from the peer's BFDProfile, Up with every node.
            var bfd = ""
            let started = ContinuousClock.now
            let bfdUp = await eventually(timeout: .seconds(20)) {
                bfd = await router.query("show bfd sessions")
                return (11...13).allSatisfy { node in
                    bfd.split(separator: "\n").contains { $0.contains("198.51.100.\(node) ") && $0.contains(" Up ") }
                }
            }
            print("metallb-bgp: BFD Up with every node after \(ContinuousClock.now - started)\n\(bfd)")
            #expect(bfdUp, "\(bfd)")

            // Each node's ServiceBGPStatus for the Service lists the peer.
            var statuses = ""
            let listed = try await eventually(timeout: .seconds(20)) {
                statuses = try await MetalLBLiveTests.kubectl(
                    cluster,
                    [
                        "get", "servicebgpstatuses.metallb.io", "-n", namespace, "-o",
                        "jsonpath={range .items[*]}{.status.node} {.status.serviceNamespace}/{.status.serviceName} "
                            + "{.status.peers}{\"\\n\"}{end}",
                    ])
                return Set(statuses.split(separator: "\n").map(String.init))
                    == Set(lab.names.map { "\($0) \(apps)/web [\"router\"]" })
            }
            #expect(listed, "\(statuses)")
            try await client.delete(Service.self, name: "web", namespace: apps)
        }
    }
}
