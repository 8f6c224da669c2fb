import Foundation
import HeraldKube
import HeraldTestSupport
import Testing

/// What the controller tests share: their own API server (the allocator serves every LoadBalancer Service of a
/// cluster, so these tests run one at a time on a cluster of their own), Service manifests, and snapshots.
enum ControllerLab {
    static func cluster() async throws -> DevCluster {
        try await DevCluster.Registry.shared.get("alloc", options: [])
    }

    /// A herald.yaml with the test pools: documentation prefixes, announced only through the log plugin.
    static func config(reservedNamespace: String, extraPools: String = "") -> String {
        """
        apiVersion: herald.dev/v1
        pools:
          - name: general
            addresses: [192.0.2.0/24, "2001:db8:a::/120"]
          - name: reserved
            addresses: [198.51.100.0/28, "2001:db8:b::/124"]
            serviceAllocation: {priority: 1, namespaces: [\(reservedNamespace)]}
          - name: named
            addresses: [203.0.113.0/28]
            autoAssign: false
        \(extraPools)
        advertisements:
          - {name: all, plugin: log}
        """
    }

    /// One LoadBalancer Service as YAML.
    static func service(
        _ name: String, namespace: String, annotations: [String: String] = [:], families: [String] = ["IPv4"],
        policy: String = "SingleStack", ports: [(Int, String)] = [(80, "TCP")], loadBalancerIP: String? = nil
    ) -> String {
        var lines = [
            "apiVersion: v1", "kind: Service", "metadata:", "  name: \(name)", "  namespace: \(namespace)",
        ]
        if !annotations.isEmpty {
            lines.append("  annotations:")
            for (key, value) in annotations.sorted(by: { $0.key < $1.key }) { lines.append("    \(key): \"\(value)\"") }
        }
        lines += [
            "spec:", "  type: LoadBalancer", "  selector: {app: \(name)}", "  ipFamilyPolicy: \(policy)",
            "  ipFamilies: [\(families.joined(separator: ", "))]", "  ports:",
        ]
        for (port, proto) in ports { lines.append("  - {port: \(port), protocol: \(proto)}") }
        if let loadBalancerIP { lines.append("  loadBalancerIP: \(loadBalancerIP)") }
        return lines.joined(separator: "\n")
    }

    /// `kubectl create -f` of many documents at once.
    static func create(_ cluster: DevCluster, _ documents: [String], directory: String) async throws {
        let file = "\(directory)/objects-\(UInt32.random(in: 0..<UInt32.max)).yaml"
        try documents.joined(separator: "\n---\n").write(toFile: file, atomically: true, encoding: .utf8)
        let out = try await cluster.kubectl(["create", "-f", file])
        guard out.status == 0 else { throw DevCluster.ClusterError(message: "kubectl create: \(out.output)") }
    }

    /// Every Service of `namespace`: name → (ingress addresses, resourceVersion, pool annotation).
    static func snapshot(_ client: KubeClient, namespace: String) async throws -> [String: Entry] {
        let (items, _) = try await client.listAll(Service.self, namespace: namespace)
        return Dictionary(
            uniqueKeysWithValues: items.map { service in
                (
                    service.metadata.name ?? "",
                    Entry(
                        addresses: (service.status?.loadBalancer?.ingress ?? []).compactMap(\.ip),
                        resourceVersion: service.metadata.resourceVersion ?? "",
                        pool: service.metadata.annotations?["herald.dev/ip-allocated-from-pool"])
                )
            })
    }

    struct Entry: Equatable, Sendable {
        var addresses: [String]
        var resourceVersion: String
        var pool: String?
    }

    /// Waits until every Service of `namespace` named in `names` shows an address.
    static func waitAssigned(
        _ client: KubeClient, namespace: String, names: Set<String>, timeout: Duration = .seconds(60)
    ) async throws -> [String: Entry] {
        var last: [String: Entry] = [:]
        let ok = try await eventually(timeout: timeout) {
            last = try await snapshot(client, namespace: namespace)
            return names.allSatisfy { !(last[$0]?.addresses.isEmpty ?? true) }
        }
        let missing = names.filter { last[$0]?.addresses.isEmpty ?? true }.sorted()
        #expect(ok, "no address within \(timeout): \(missing.prefix(10)) (\(missing.count) in all)")
        return last
    }

    /// Events of `namespace` as (object name, reason, message).
    static func events(_ client: KubeClient, namespace: String) async throws -> [(String, String, String)] {
        let (items, _) = try await client.listAll(Event.self, namespace: namespace)
        return items.map { ($0.involvedObject.name ?? "", $0.reason ?? "", $0.message ?? "") }
    }

    /// The holder of the allocator lease.
    static func allocator(_ client: KubeClient) async throws -> String? {
        try? await client.get(Lease.self, name: "herald-allocator", namespace: "herald-system").spec?.holderIdentity
    }

    /// Deletes every Service of the namespaces (namespaces themselves stay: 1.20 has no namespace controller here).
    static func cleanUp(_ cluster: DevCluster, namespaces: [String]) async {
        for namespace in namespaces {
            _ = try? await cluster.kubectl(["delete", "svc", "--all", "-n", namespace, "--wait=false"])
        }
    }
}
