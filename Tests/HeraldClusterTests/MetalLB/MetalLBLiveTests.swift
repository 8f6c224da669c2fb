import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import HeraldTestSupport
import Testing

/// `herald run --metallb-namespace` against a real API server with MetalLB's CRDs (Tests/Fixtures/MetalLB/crds):
/// the allocator (`--role allocator`: it assigns, loads no plugin and announces nothing on this machine) reads
/// MetalLB's objects live. A cluster of its own: the allocator serves every LoadBalancer Service of a cluster.
@Suite(.serialized) struct MetalLBLiveTests {
    let directory: String
    static let fixtures = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/MetalLB").path

    init() throws { directory = try TestSupport.temporaryDirectory("herald-metallb") }

    /// The cluster (API server instance `instance`), with MetalLB's CRDs installed and established, and namespace `namespace` holding MetalLB's objects
    /// that Herald's ServiceAccounts may read (deploy/components/metallb/rbac.yaml, moved to that namespace).
    static func cluster(namespace: String, instance: String = "metallb") async throws -> DevCluster {
        let cluster = try await DevCluster.Registry.shared.get(instance, options: [])
        try await kubectl(cluster, ["apply", "-f", fixtures + "/crds/metallb-crds.yaml"])
        let names = [
            "ipaddresspools", "l2advertisements", "bgpadvertisements", "bgppeers", "bfdprofiles", "communities",
            "servicel2statuses", "servicebgpstatuses", "configurationstates",
        ]
        try await kubectl(
            cluster,
            ["wait", "--for=condition=Established", "--timeout=60s"] + names.map { "crd/\($0).metallb.io" })
        let served = try await kubectl(cluster, ["api-versions"])
        #expect(served.contains("metallb.io/v1beta1") && served.contains("metallb.io/v1beta2"), "\(served)")
        _ = try await cluster.kubectl(["create", "namespace", namespace])
        let rbac = try String(
            contentsOfFile: TestSupport.packageRoot.appendingPathComponent("deploy/components/metallb/rbac.yaml").path,
            encoding: .utf8)
        try await apply(
            cluster, rbac.replacingOccurrences(of: "namespace: metallb-system", with: "namespace: \(namespace)"))
        return cluster
    }

    @discardableResult
    static func kubectl(_ cluster: DevCluster, _ arguments: [String]) async throws -> String {
        let result = try await cluster.kubectl(arguments)
        guard result.status == 0 else {
            throw DevCluster.ClusterError(message: "kubectl \(arguments.joined(separator: " ")): \(result.output)")
        }
        return result.output
    }

    static func apply(_ cluster: DevCluster, _ text: String, namespace: String? = nil) async throws {
        let file = try TestSupport.temporaryDirectory("herald-metallb-apply") + "/objects.yaml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        try await kubectl(cluster, ["apply", "-f", file] + (namespace.map { ["-n", $0] } ?? []))
    }

    /// The `InvalidConfiguration` Events on `object` in `namespace`, one line each: type, kind, message.
    static func invalidConfigurationEvents(
        _ cluster: DevCluster, namespace: String, object: String
    ) async throws
        -> String
    {
        try await kubectl(
            cluster,
            [
                "get", "events", "-n", namespace, "--field-selector",
                "involvedObject.name=\(object),reason=InvalidConfiguration", "-o",
                "jsonpath={range .items[*]}{.type} {.involvedObject.kind} {.message}{\"\\n\"}{end}",
            ])
    }

    /// The `result` and `errorSummary` of the ConfigurationState of node `node`'s Herald, space-separated.
    static func configurationState(_ cluster: DevCluster, namespace: String, node: String) async throws -> String {
        let result = try await cluster.kubectl([
            "get", "configurationstates.metallb.io", "herald-\(node)", "-n", namespace, "-o",
            "jsonpath={.status.result} {.status.errorSummary}",
        ])
        return result.status == 0 ? result.output : ""
    }

    /// A fixture with its objects moved to `namespace`.
    static func fixture(_ name: String, namespace: String) throws -> String {
        try String(contentsOfFile: "\(fixtures)/\(name)", encoding: .utf8)
            .replacingOccurrences(of: "namespace: metallb-system", with: "namespace: \(namespace)")
    }

    static func services(_ names: [String], namespace: String) -> String {
        names.map { name in
            """
            apiVersion: v1
            kind: Service
            metadata: {name: \(name), namespace: \(namespace)}
            spec:
              type: LoadBalancer
              ipFamilies: [IPv4]
              ipFamilyPolicy: SingleStack
              selector: {app: \(name)}
              ports: [{port: 80, protocol: TCP}]
            """
        }.joined(separator: "\n---\n")
    }

    /// Each Service's first ingress address and resourceVersion (nil address: none yet).
    static func assignments(
        _ client: KubeClient, _ names: [String], namespace: String
    ) async throws -> [String: (ip: String?, version: String?)] {
        var result: [String: (ip: String?, version: String?)] = [:]
        for name in names {
            let service = try await client.get(Service.self, name: name, namespace: namespace)
            result[name] = (service.status?.loadBalancer?.ingress?.first?.ip, service.metadata.resourceVersion)
        }
        return result
    }

    static func addresses(
        _ client: KubeClient, _ names: [String], namespace: String, timeout: Duration = .seconds(30)
    ) async throws -> [String: String] {
        var last: [String: String] = [:]
        let done = try await eventually(timeout: timeout) {
            last = try await assignments(client, names, namespace: namespace).compactMapValues(\.ip)
            return last.count == names.count
        }
        #expect(done, "addresses so far: \(last)")
        return last
    }

    func host(_ cluster: DevCluster, name: String, config: String, extra: [String]) throws -> HostProcess {
        try HostProcess(
            cluster: cluster, node: name, directory: directory, config: config, extra: ["--role", "allocator"] + extra)
    }

    /// MetalLB's documented examples (Tests/Fixtures/MetalLB; the password Secret one has a test of its own): Herald
    /// reading the objects live derives as many pools and advertisements as `herald convert` of the same manifest, and
    /// assigns what Herald running the converted files assigns, to the same Services.
    @Test(arguments: [
        "layer2-simple.yaml", "pool-service-allocation.yaml", "bgp-session.yaml", "bgp-communities.yaml",
        "bgp-node-selector.yaml", "bgp-bfd.yaml",
    ])
    func liveObjectsAssignAsConvertDoes(fixture: String) async throws {
        let namespace = uniqueName("metallb")
        let cluster = try await Self.cluster(namespace: namespace)
        let client = try cluster.adminClient()
        defer { Task { try? await client.shutdown() } }
        let manifest = try Self.fixture(fixture, namespace: namespace)
        try await Self.apply(cluster, manifest)
        let apps = uniqueName("apps")
        _ = try await cluster.kubectl(["create", "namespace", apps])
        let names = ["a", "b", "c"]

        // herald convert of the same manifest, run as Herald's own configuration.
        let manifestFile = "\(directory)/\(fixture)"
        try manifest.write(toFile: manifestFile, atomically: true, encoding: .utf8)
        let converted = "\(directory)/converted-\(fixture)"
        let convert = try await DevCluster.run(
            try TestSupport.product("herald"), ["convert", "--output", converted, manifestFile])
        try #require(convert.status == 0, "herald convert: \(convert.output)")
        let summary = try #require(
            convert.output.split(separator: "\n").first { $0.hasPrefix("converted: ") }, "\(convert.output)")
        let counts = summary.dropFirst("converted: ".count).split(separator: ",").prefix(2)
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
        let convertedConfig = try String(contentsOfFile: "\(converted)/herald.yaml", encoding: .utf8)
        let byConvert = try host(cluster, name: "convert", config: convertedConfig, extra: [])
        try await Self.apply(cluster, Self.services(names, namespace: apps))
        let expected = try await Self.addresses(client, names, namespace: apps)
        await byConvert.stop()
        try #require(expected.count == names.count, "\(byConvert.output)")
        if fixture == "layer2-simple.yaml" {
            for ip in expected.values { #expect(ip.hasPrefix("192.168.10."), "\(expected)") }
        }

        // The same Services again, assigned by Herald reading MetalLB's objects.
        try await Self.kubectl(cluster, ["delete", "service", "--all", "-n", apps, "--wait"])
        try await Self.apply(cluster, Self.services(names, namespace: apps))
        let live = try host(
            cluster, name: "live", config: "apiVersion: herald.dev/v1\nkind: HeraldConfig\n",
            extra: ["--metallb-namespace", namespace])
        let got = try await Self.addresses(client, names, namespace: apps)
        await live.stop()
        try await Self.kubectl(cluster, ["delete", "service", "--all", "-n", apps, "--wait"])
        print("metallb-live: \(fixture): convert and live assign \(got.values.sorted()) (\(counts))")
        #expect(got == expected, "\(live.output)")
        #expect(live.output.contains("MetalLB mode: \(counts)"), "convert says \(counts):\n\(live.output)")
    }

    /// Editing the IPAddressPool moves exactly the Services whose addresses left it; an invalid object afterwards
    /// changes nothing and is reported (log with namespace/name and field, Warning Event InvalidConfiguration).
    @Test func poolEditMovesDisplacedServicesAndInvalidObjectChangesNothing() async throws {
        let namespace = uniqueName("metallb")
        let cluster = try await Self.cluster(namespace: namespace)
        let client = try cluster.adminClient()
        defer { Task { try? await client.shutdown() } }
        func pool(_ addresses: String) -> String {
            """
            apiVersion: metallb.io/v1beta1
            kind: IPAddressPool
            metadata: {name: edited, namespace: \(namespace)}
            spec:
              addresses: [\(addresses)]
            ---
            apiVersion: metallb.io/v1beta1
            kind: L2Advertisement
            metadata: {name: l2, namespace: \(namespace)}
            spec:
              ipAddressPools: [edited]
            """
        }
        try await Self.apply(cluster, pool("198.51.100.0/28"))
        let apps = uniqueName("apps")
        _ = try await cluster.kubectl(["create", "namespace", apps])
        let names = ["s1", "s2", "s3", "s4"]
        try await Self.apply(cluster, Self.services(names, namespace: apps))
        let live = try host(
            cluster, name: "edit", config: "apiVersion: herald.dev/v1\nkind: HeraldConfig\n",
            extra: ["--metallb-namespace", namespace])
        defer { Task { await live.stop() } }
        let before = try await Self.addresses(client, names, namespace: apps)
        try #require(before.count == names.count, "\(live.output)")
        let versions = try await Self.assignments(client, names, namespace: apps).mapValues(\.version)

        // The pool loses its lowest assigned address (and everything below it).
        let octets = before.values.compactMap { Int($0.split(separator: ".").last ?? "") }
        let lowest = try #require(octets.min())
        let displaced = try #require(before.first { $0.value == "198.51.100.\(lowest)" }?.key)
        let started = ContinuousClock.now
        try await Self.apply(cluster, pool("\"198.51.100.\(lowest + 1)-198.51.100.31\""))
        var after: [String: String] = [:]
        let moved = try await eventually(timeout: .seconds(30)) {
            after = try await Self.assignments(client, names, namespace: apps).compactMapValues(\.ip)
            return after[displaced] != nil && after[displaced] != before[displaced]
        }
        print("metallb-live: pool edit to the displaced Service's new address: \(ContinuousClock.now - started)")
        #expect(moved, "\(after)\n\(live.output)")
        if let ip = after[displaced], let octet = Int(ip.split(separator: ".").last ?? "") {
            #expect(ip.hasPrefix("198.51.100.") && octet > lowest && !before.values.contains(ip), "\(after)")
        }
        // Everything else is untouched: same address, same resourceVersion.
        try await Task.sleep(for: .seconds(1))
        let settled = try await Self.assignments(client, names, namespace: apps)
        for name in names where name != displaced {
            #expect(settled[name]?.ip == before[name], "\(name): \(settled[name] as Any) was \(before[name] as Any)")
            #expect(settled[name]?.version == versions[name], "\(name) was written")
        }

        #expect(try await Self.configurationState(cluster, namespace: namespace, node: "edit") == "Valid ")
        // An invalid pool: the running configuration stays, the object gets a Warning Event, the log names it, the
        // ConfigurationState says Invalid and why.
        try await Self.apply(cluster, pool("\"198.51.100.0/33\""))
        var state = ""
        let invalid = try await eventually(timeout: .seconds(20)) {
            state = try await Self.configurationState(cluster, namespace: namespace, node: "edit")
            return state.hasPrefix("Invalid ")
        }
        #expect(invalid && state.contains("spec.addresses"), "ConfigurationState: \(state)")
        var events = ""
        let reported = try await eventually(timeout: .seconds(20)) {
            events = try await Self.invalidConfigurationEvents(cluster, namespace: namespace, object: "edited")
            return events.contains("Warning IPAddressPool")
        }
        #expect(reported, "events: \(events)\n\(live.output)")
        #expect(events.contains("spec.addresses"), "\(events)")
        #expect(live.output.contains("\(namespace)/edited"), "\(live.output)")
        // A new Service still gets an address from the last valid pool, and nothing already assigned changes.
        try await Self.apply(cluster, Self.services(["s5"], namespace: apps))
        let fifth = try await Self.addresses(client, ["s5"], namespace: apps)
        if let ip = fifth["s5"], let octet = Int(ip.split(separator: ".").last ?? "") {
            #expect(octet > lowest && octet <= 31, "\(ip)")
        }
        let final = try await Self.assignments(client, names, namespace: apps)
        for name in names {
            #expect(final[name]?.ip == settled[name]?.ip, "\(name) moved after the invalid object")
            #expect(final[name]?.version == settled[name]?.version, "\(name) was written after the invalid object")
        }
    }

    /// The counts of an IPAddressPool's status (assignedIPv4, availableIPv4, assignedIPv6, availableIPv6, in that
    /// order; "" where unset).
    static func poolCounts(_ cluster: DevCluster, namespace: String, pool: String) async throws -> String {
        try await kubectl(
            cluster,
            [
                "get", "ipaddresspools.metallb.io", pool, "-n", namespace, "-o",
                "jsonpath={.status.assignedIPv4} {.status.availableIPv4} {.status.assignedIPv6} {.status.availableIPv6}",
            ])
    }

    /// Taking over from a running MetalLB: 200 Services whose statuses and `metallb.io/ip-allocated-from-pool`
    /// annotations were written as MetalLB writes them. Herald starts in MetalLB mode, restores every one of them and
    /// writes none (resourceVersions compared); a new Service gets a free address and both pool annotations; the
    /// pool's status counts follow the churn.
    @Test func takeoverOf200ServicesChangesNone() async throws {
        let namespace = uniqueName("metallb")
        let cluster = try await Self.cluster(namespace: namespace)
        let client = try cluster.adminClient()
        defer { Task { try? await client.shutdown() } }
        try await Self.apply(cluster, try Self.fixture("layer2-simple.yaml", namespace: namespace))
        // The allocator serves every LoadBalancer Service of the cluster: the earlier tests' go first, so that the
        // pool holds this test's alone.
        let (leftovers, _) = try await client.listAll(Service.self)
        try await ControllerLab.forEach(leftovers.filter { $0.spec?.type == "LoadBalancer" }) { service in
            try? await client.delete(
                Service.self, name: service.metadata.name ?? "", namespace: service.metadata.namespace)
        }
        let apps = uniqueName("takeover")
        _ = try await cluster.kubectl(["create", "namespace", apps])

        // What MetalLB left: each Service with its pool annotation, then its status (192.168.10.1–200).
        let count = 200
        let names = (1...count).map { "svc-\($0)" }
        let services = names.map { name in
            ControllerLab.service(
                name, namespace: apps, annotations: ["metallb.io/ip-allocated-from-pool": "first-pool"])
        }
        try await ControllerLab.create(client, services)
        try await ControllerLab.forEach(Array(names.enumerated())) { pair in
            let (index, name) = pair
            _ = try await client.patchServiceStatus(
                namespace: apps, name: name,
                loadBalancer: Service.LoadBalancerStatus(ingress: [Service.Ingress(ip: "192.168.10.\(index + 1)")]))
        }
        let before = try await ControllerLab.snapshot(client, namespace: apps)
        try #require(before.count == count && before.values.allSatisfy { $0.addresses.count == 1 })

        let started = ContinuousClock.now
        let live = try host(
            cluster, name: "takeover", config: "apiVersion: herald.dev/v1\nkind: HeraldConfig\n",
            extra: ["--metallb-namespace", namespace])
        defer { Task { await live.stop() } }
        let restored = await eventually(timeout: .seconds(60)) {
            live.output.contains("restored and served \(count) services")
        }
        let restoreTime = ContinuousClock.now - started
        #expect(restored, "\(live.output)")
        // Serving: the pool's status shows the 200 (written after the restore's first batch).
        var counts = ""
        let written = try await eventually(timeout: .seconds(20)) {
            counts = try await Self.poolCounts(cluster, namespace: namespace, pool: "first-pool")
            return counts == "\(count) \(261 - count) 0 16"
        }
        #expect(written, "pool status: \(counts)\n\(live.output)")
        try await Task.sleep(for: .seconds(2))
        let after = try await ControllerLab.snapshot(client, namespace: apps)
        let changed = names.filter { after[$0] != before[$0] }
        print(
            "metallb-takeover: \(count) Services restored in \(restoreTime) (process start to restored), "
                + "\(changed.count) written")
        #expect(changed.isEmpty, "written: \(changed.prefix(5)) \(changed.first.map { "\(after[$0]!)" } ?? "")")

        // A new Service: a free address, Herald's and MetalLB's pool annotations.
        try await ControllerLab.create(client, [ControllerLab.service("new", namespace: apps)])
        let fresh = try await Self.addresses(client, ["new"], namespace: apps)
        let taken = Set(before.values.flatMap(\.addresses))
        #expect(fresh["new"].map { !taken.contains($0) } ?? false, "\(fresh)")
        let annotations = try await client.get(Service.self, name: "new", namespace: apps).metadata.annotations ?? [:]
        #expect(annotations["herald.dev/ip-allocated-from-pool"] == "first-pool", "\(annotations)")
        #expect(annotations["metallb.io/ip-allocated-from-pool"] == "first-pool", "\(annotations)")

        // Churn: 20 deleted; the counts follow (200 − 20 + 1 assigned).
        try await ControllerLab.forEach(Array(names.prefix(20))) { name in
            try await client.delete(Service.self, name: name, namespace: apps)
        }
        let followed = try await eventually(timeout: .seconds(20)) {
            counts = try await Self.poolCounts(cluster, namespace: namespace, pool: "first-pool")
            return counts == "181 80 0 16"
        }
        #expect(followed, "pool status after churn: \(counts)")
    }

    /// A BGPPeer's `passwordSecret`, read live: the `password` key of the basic-auth Secret it names is written to the
    /// peer's password file (mode 0600), a changed Secret rewrites the file, and a `passwordSecret` naming a Secret that
    /// is not of type `kubernetes.io/basic-auth` is invalid (the file and the running configuration stay, the BGPPeer
    /// gets the Warning Event). No password reaches the log.
    @Test func passwordSecretIsReadLive() async throws {
        let namespace = uniqueName("metallb")
        let cluster = try await Self.cluster(namespace: namespace)
        let passwords = try TestSupport.temporaryDirectory("herald-metallb-passwords") + "/files"
        func objects(secret: String, password: String) -> String {
            """
            apiVersion: metallb.io/v1beta1
            kind: IPAddressPool
            metadata: {name: routed, namespace: \(namespace)}
            spec:
              addresses: [198.51.100.64/28]
            ---
            apiVersion: metallb.io/v1beta1
            kind: BGPAdvertisement
            metadata: {name: routed, namespace: \(namespace)}
            spec:
              ipAddressPools: [routed]
            ---
            apiVersion: metallb.io/v1beta2
            kind: BGPPeer
            metadata: {name: upstream, namespace: \(namespace)}
            spec:
              myASN: 64513
              peerASN: 64512
              peerAddress: 192.0.2.1
              passwordSecret: {name: \(secret)}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: upstream-password, namespace: \(namespace)}
            type: kubernetes.io/basic-auth
            stringData: {password: \(password)}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: opaque, namespace: \(namespace)}
            type: Opaque
            stringData: {password: never-read-1}
            """
        }
        try await Self.apply(cluster, objects(secret: "upstream-password", password: "first-secret-1"))
        let live = try host(
            cluster, name: "secret", config: "apiVersion: herald.dev/v1\nkind: HeraldConfig\n",
            extra: ["--metallb-namespace", namespace, "--metallb-password-directory", passwords])
        defer { Task { await live.stop() } }
        let file = "\(passwords)/bgp-upstream.password"
        func content() -> String? { try? String(contentsOfFile: file, encoding: .utf8) }
        #expect(
            await eventually(timeout: .seconds(30)) { content() == "first-secret-1" },
            "\(content() ?? "no file")\n\(live.output)")
        let mode = (try? FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) ?? -1
        #expect(mode == 0o600, "mode \(String(mode, radix: 8))")

        // The Secret changed: the file follows.
        let started = ContinuousClock.now
        try await Self.apply(cluster, objects(secret: "upstream-password", password: "second-secret-2"))
        #expect(
            await eventually(timeout: .seconds(30)) { content() == "second-secret-2" },
            "\(content() ?? "no file")\n\(live.output)")
        print("metallb-live: a changed password Secret written to its file in \(ContinuousClock.now - started)")

        // A passwordSecret naming an Opaque Secret: invalid, the Event is on the BGPPeer, the file stays.
        try await Self.apply(cluster, objects(secret: "opaque", password: "second-secret-2"))
        var events = ""
        let reported = try await eventually(timeout: .seconds(20)) {
            events = try await Self.invalidConfigurationEvents(cluster, namespace: namespace, object: "upstream")
            return events.contains("Warning BGPPeer")
        }
        #expect(reported, "events: \(events)\n\(live.output)")
        #expect(events.contains("passwordSecret") && events.contains("kubernetes.io/basic-auth"), "\(events)")
        #expect(content() == "second-secret-2")
        for password in ["first-secret-1", "second-secret-2", "never-read-1"] {
            #expect(!live.output.contains(password), "the log shows a password")
        }
    }
}
