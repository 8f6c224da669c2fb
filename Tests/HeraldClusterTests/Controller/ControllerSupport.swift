import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
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

    /// One LoadBalancer Service.
    static func service(
        _ name: String, namespace: String, annotations: [String: String] = [:], families: [String] = ["IPv4"],
        policy: String = "SingleStack", ports: [(Int, String)] = [(80, "TCP")], loadBalancerIP: String? = nil
    ) -> Service {
        var spec = Service.Spec(
            type: "LoadBalancer", ports: ports.map { Service.Port(protocol: $0.1, port: $0.0) }, selector: ["app": name]
        )
        spec.ipFamilyPolicy = policy
        spec.ipFamilies = families
        spec.loadBalancerIP = loadBalancerIP
        return Service(
            metadata: ObjectMeta(
                name: name, namespace: namespace, labels: [label: "true"],
                annotations: annotations.isEmpty ? nil : annotations),
            spec: spec)
    }

    /// Runs `body` for every element, 16 at a time.
    static func forEach<T: Sendable>(
        _ elements: [T], _ body: @escaping @Sendable (T) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for element in elements {
                if running >= 16 {
                    try await group.next()
                    running -= 1
                }
                running += 1
                group.addTask { try await body(element) }
            }
            try await group.waitForAll()
        }
    }

    /// Creates the Services, 16 requests at a time.
    static func create(_ client: KubeClient, _ services: [Service]) async throws {
        try await forEach(services) { service in
            // A connection the server closed between requests is tried once more.
            do {
                _ = try await client.create(service)
            } catch let error as KubeError where !error.isAlreadyExists {
                try await Task.sleep(for: .milliseconds(200))
                do { _ = try await client.create(service) } catch let again as KubeError where again.isAlreadyExists {}
            }
        }
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

    /// Waits until every Service of `namespace` named in `names` shows an address and the pool annotation.
    static func waitAssigned(
        _ client: KubeClient, namespace: String, names: Set<String>, timeout: Duration = .seconds(60)
    ) async throws -> [String: Entry] {
        var last: [String: Entry] = [:]
        let ok = try await eventually(timeout: timeout) {
            last = try await snapshot(client, namespace: namespace)
            return names.allSatisfy { !(last[$0]?.addresses.isEmpty ?? true) && last[$0]?.pool != nil }
        }
        let missing = names.filter { (last[$0]?.addresses.isEmpty ?? true) || last[$0]?.pool == nil }.sorted()
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

    /// The label of every Service these tests create.
    static let label = "herald.dev/controller-test"

    /// Deletes every Service these tests created, in every namespace, and waits until they are gone: each test starts
    /// on a cluster with no LoadBalancer Service of another test (namespaces stay: 1.20 runs no namespace controller
    /// here).
    static func cleanUp(_ client: KubeClient) async throws {
        let (items, _) = try await client.listAll(Service.self, namespace: nil, labelSelector: label)
        try await forEach(items) { service in
            do {
                try await client.delete(
                    Service.self, name: service.metadata.name ?? "", namespace: service.metadata.namespace)
            } catch let error as KubeError where error.isNotFound {}
        }
    }
}
