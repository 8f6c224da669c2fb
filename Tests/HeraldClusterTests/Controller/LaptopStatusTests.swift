import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import HeraldTestSupport
import Testing

/// `herald status --kubeconfig` from an operator's laptop: no herald.yaml, no plugins.d, no plugin library at hand,
/// only a kubeconfig. Pools come from the Services' annotations, announcers from what the cluster records (MetalLB's
/// status objects, NodeAssigned Events checked against membership leases), and the plan from Herald's ConfigMaps.
/// The objects are written directly, as the allocator and the speakers would; no Herald runs. A cluster of its own
/// (with MetalLB's CRDs), so that nothing else's Events or leases show up.
@Suite(.serialized) struct LaptopStatusTests {
    static let instance = "laptop"

    /// An empty working folder and an empty HOME: nothing local to read.
    static func runStatus(_ cluster: DevCluster, namespace: String) throws -> TestSupport.Output {
        let work = try TestSupport.temporaryDirectory("herald-laptop-work")
        let home = try TestSupport.temporaryDirectory("herald-laptop-home")
        return try TestSupport.run(
            [
                try TestSupport.product("herald"), "status", "--kubeconfig", cluster.adminKubeconfig, "--namespace",
                namespace,
            ],
            environment: ["HOME": home, "PATH": "/usr/bin:/bin"], directory: work)
    }

    /// The row of `service` in the table, split on runs of two or more spaces.
    static func row(_ output: String, _ service: String) -> [String] {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(service + " ") }) else {
            return []
        }
        return line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    static func service(
        _ client: KubeClient, _ name: String, namespace: String, ip: String?, annotations: [String: String] = [:]
    ) async throws {
        var service = Service(
            metadata: ObjectMeta(name: name, namespace: namespace, annotations: annotations),
            spec: Service.Spec(type: "LoadBalancer", ports: [Service.Port(protocol: "TCP", port: 80)]))
        service.spec?.ipFamilies = ["IPv4"]
        _ = try await client.create(service)
        if let ip {
            _ = try await client.patchServiceStatus(
                namespace: namespace, name: name, loadBalancer: .init(ingress: [.init(ip: ip)]))
        }
    }

    static func nodeAssigned(
        _ client: KubeClient, service: String, namespace: String, address: String, node: String, instance: String,
        at date: Date
    ) async throws {
        var event = Event(
            metadata: ObjectMeta(name: "\(service).\(uniqueName("e"))", namespace: namespace),
            involvedObject: ObjectReference(apiVersion: "v1", kind: "Service", namespace: namespace, name: service),
            reason: "NodeAssigned",
            message: "\(address) is announced from node \"\(node)\" through plugin instance \"\(instance)\"",
            type: "Normal")
        let stamp = MicroTime(date).description
        event.count = 1
        event.firstTimestamp = stamp
        event.lastTimestamp = stamp
        event.source = Event.Source(component: "herald-speaker", host: node)
        _ = try await client.create(event)
    }

    static func lease(_ client: KubeClient, node: String, namespace: String, renewed: Date, seconds: Int) async throws {
        let lease = Lease(
            metadata: ObjectMeta(
                name: NodeMembership.leaseName(for: node), namespace: namespace,
                labels: [NodeMembership.label: node]),
            spec: Lease.Spec(
                holderIdentity: node, leaseDurationSeconds: seconds, acquireTime: MicroTime(renewed),
                renewTime: MicroTime(renewed)))
        _ = try await client.create(lease)
    }

    static func deployFile(_ path: String) throws -> String {
        try String(
            contentsOfFile: TestSupport.packageRoot.appendingPathComponent("deploy/" + path).path, encoding: .utf8)
    }

    /// Service `a` (192.0.2.241 from pool `default`) with a `NodeAssigned` Event naming `node-live` and instance
    /// `arp`, whose membership lease is live.
    static func announcedByALiveNode(_ client: KubeClient, herald: String, apps: String) async throws {
        let now = Date()
        try await lease(client, node: "node-live", namespace: herald, renewed: now, seconds: 3600)
        try await service(
            client, "a", namespace: apps, ip: "192.0.2.241",
            annotations: ["herald.dev/ip-allocated-from-pool": "default"])
        try await nodeAssigned(
            client, service: "a", namespace: apps, address: "192.0.2.241", node: "node-live", instance: "arp", at: now)
    }

    /// The cluster (with MetalLB's CRDs), an admin client, and three fresh namespaces: MetalLB's, Herald's and the
    /// Services'.
    static func setUp() async throws -> (
        cluster: DevCluster, client: KubeClient, metallb: String, herald: String, apps: String
    ) {
        let metallb = uniqueName("metallb")
        let cluster = try await MetalLBLiveTests.cluster(namespace: metallb, instance: instance)
        let client = try cluster.adminClient()
        let herald = uniqueName("herald")
        let apps = uniqueName("apps")
        for namespace in [herald, apps] { _ = try await cluster.kubectl(["create", "namespace", namespace]) }
        return (cluster, client, metallb, herald, apps)
    }

    /// Services in every state, the records of two nodes (one live, one whose lease expired), a ServiceL2Status, and
    /// Herald's ConfigMaps as deploy/ generates them (plain names here).
    @Test func laptopStatusFromTheClusterAlone() async throws {
        let (cluster, client, metallb, herald, apps) = try await Self.setUp()
        defer { Task { try? await client.shutdown() } }

        _ = try await client.create(
            ConfigMap(
                metadata: ObjectMeta(name: "herald-config", namespace: herald),
                data: ["herald.yaml": try Self.deployFile("config/herald.yaml")]))
        _ = try await client.create(
            ConfigMap(
                metadata: ObjectMeta(name: "herald-plugins", namespace: herald),
                data: [
                    "arp.yaml": try Self.deployFile("config/plugins.d/arp.yaml"),
                    "log.yaml": try Self.deployFile("config/plugins.d/log.yaml"),
                ]))
        let now = Date()
        try await Self.lease(client, node: "node-live", namespace: herald, renewed: now, seconds: 3600)
        try await Self.lease(client, node: "node-gone", namespace: herald, renewed: now - 3600, seconds: 3)

        let pool = ["herald.dev/ip-allocated-from-pool": "default"]
        // a: the latest Event naming its address wins (an older one from node-gone, one for an old address).
        try await Self.service(client, "a", namespace: apps, ip: "192.0.2.241", annotations: pool)
        try await Self.nodeAssigned(
            client, service: "a", namespace: apps, address: "192.0.2.241", node: "node-gone", instance: "arp",
            at: now - 600)
        try await Self.nodeAssigned(
            client, service: "a", namespace: apps, address: "192.0.2.241", node: "node-live", instance: "arp",
            at: now - 60)
        try await Self.nodeAssigned(
            client, service: "a", namespace: apps, address: "192.0.2.250", node: "node-gone", instance: "arp",
            at: now - 10)
        // b: MetalLB's annotation only; its announcer's lease expired.
        try await Self.service(
            client, "b", namespace: apps, ip: "192.0.2.242",
            annotations: ["metallb.io/ip-allocated-from-pool": "legacy"])
        try await Self.nodeAssigned(
            client, service: "b", namespace: apps, address: "192.0.2.242", node: "node-gone", instance: "arp",
            at: now - 30)
        // c: a ServiceL2Status in MetalLB's namespace (it wins over an Event).
        try await Self.service(client, "c", namespace: apps, ip: "192.0.2.243", annotations: pool)
        try await Self.nodeAssigned(
            client, service: "c", namespace: apps, address: "192.0.2.243", node: "node-gone", instance: "arp",
            at: now - 30)
        typealias L2Status = MetalLBServiceStatus<MetalLBKinds.ServiceL2Status>
        _ = try await client.create(
            L2Status(
                metadata: ObjectMeta(
                    name: "l2-laptop-c", namespace: metallb,
                    labels: [
                        MetalLBLabels.node: "node-live", MetalLBLabels.serviceName: "c",
                        MetalLBLabels.serviceNamespace: apps,
                    ])))
        // d: no annotation, no record: the pool from herald.yaml's ranges, the announcer computed.
        try await Self.service(client, "d", namespace: apps, ip: "192.0.2.244")
        // e: no address yet.
        try await Self.service(client, "e", namespace: apps, ip: nil)

        let status = try Self.runStatus(cluster, namespace: herald)
        #expect(status.status == 0, "\(status.stderr)\n\(status.stdout)")
        #expect(status.stdout.hasPrefix("SERVICE"), "\(status.stdout)")
        #expect(!status.stderr.contains("run herald check"), "\(status.stderr)")
        #expect(
            Self.row(status.stdout, "\(apps)/a") == ["\(apps)/a", "192.0.2.241", "default", "arp: node-live", "event"])
        #expect(
            Self.row(status.stdout, "\(apps)/b") == [
                "\(apps)/b", "192.0.2.242", "legacy", "arp: node-gone (lease expired)", "event",
            ])
        #expect(
            Self.row(status.stdout, "\(apps)/c") == [
                "\(apps)/c", "192.0.2.243", "default", "l2: node-live", "status-object",
            ])
        let d = Self.row(status.stdout, "\(apps)/d")
        #expect(d.count == 5 && d[2] == "default (config)" && d[3].hasPrefix("arp: ") && d[4] == "computed", "\(d)")
        #expect(Self.row(status.stdout, "\(apps)/e") == ["\(apps)/e", "<pending>", "-", "-", "-"])
    }

    /// A herald.yaml in the ConfigMap (named with a generator's hash suffix) that cannot be used: every problem as
    /// file:line:column, the rows the cluster alone gives, then exit status 2.
    @Test func brokenConfigMapIsReportedAndTheRowsStillPrint() async throws {
        let (cluster, client, _, herald, apps) = try await Self.setUp()
        defer { Task { try? await client.shutdown() } }
        let broken = """
            apiVersion: herald.dev/v1
            kind: HeraldConfig
            pools:
              - name: default
                addresses: [192.0.2.300/28]
            advertisements:
              - name: l2
                plugin: arp
            """
        _ = try await client.create(
            ConfigMap(
                metadata: ObjectMeta(name: "herald-config-7b9f2k4m6t", namespace: herald),
                data: ["herald.yaml": broken]))
        _ = try await client.create(
            ConfigMap(
                metadata: ObjectMeta(name: "herald-plugins-7b9f2k4m6t", namespace: herald),
                data: ["arp.yaml": try Self.deployFile("config/plugins.d/arp.yaml")]))
        try await Self.announcedByALiveNode(client, herald: herald, apps: apps)
        try await Self.service(client, "b", namespace: apps, ip: "192.0.2.242")

        let status = try Self.runStatus(cluster, namespace: herald)
        #expect(status.status == 2, "\(status.stderr)\n\(status.stdout)")
        let file = "\(herald)/herald-config-7b9f2k4m6t/herald.yaml"
        let problem = status.stderr.split(separator: "\n").first { $0.hasPrefix(file + ":5:") }
        #expect(problem?.contains(": error: ") == true, "\(status.stderr)")
        #expect(!status.stderr.contains("run herald check"), "\(status.stderr)")
        #expect(
            Self.row(status.stdout, "\(apps)/a") == ["\(apps)/a", "192.0.2.241", "default", "arp: node-live", "event"])
        #expect(Self.row(status.stdout, "\(apps)/b") == ["\(apps)/b", "192.0.2.242", "-", "-", "-"])
    }

    /// Without MetalLB's CRDs (a cluster that never had MetalLB) the status objects are skipped without a word.
    @Test func missingMetalLBCRDsAreSkippedSilently() async throws {
        let (cluster, client, _, herald, apps) = try await Self.setUp()
        defer { Task { try? await client.shutdown() } }
        try await MetalLBLiveTests.kubectl(
            cluster, ["delete", "crd", "servicel2statuses.metallb.io", "servicebgpstatuses.metallb.io", "--wait=true"])
        try await Self.announcedByALiveNode(client, herald: herald, apps: apps)

        let status = try Self.runStatus(cluster, namespace: herald)
        #expect(status.status == 0, "\(status.stderr)\n\(status.stdout)")
        #expect(!status.stderr.contains("Status objects"), "\(status.stderr)")
        #expect(
            Self.row(status.stdout, "\(apps)/a") == ["\(apps)/a", "192.0.2.241", "default", "arp: node-live", "event"])
    }
}
