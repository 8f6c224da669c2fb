import Foundation
import HeraldCore
import HeraldKube
import HeraldKubeModels
import HeraldMetalLB
import HeraldPlanner
import HeraldPluginHost
import Logging
import ServiceLifecycle

/// MetalLB mode, on a speaker: a `ServiceL2Status` for each Service this node announces through an exclusive
/// (layer-2) instance and a `ServiceBGPStatus` for each it announces through a routed one, in MetalLB's namespace,
/// as MetalLB's speakers write them, so that `kubectl get servicel2statuses,servicebgpstatuses -A` shows who
/// announces what. Each object is labelled `metallb.io/node`, `metallb.io/service-name` and
/// `metallb.io/service-namespace`, and says the same in its `status`; its name is derived from the node and the
/// Service (`l2-…`, `bgp-…`), so that a restarted speaker finds its own objects again and two never race to write one.
///
/// What the plugin instances announce is read every `interval` (reading it never waits for a plugin); an object is
/// created when an announcement starts and deleted when it ends, and on shutdown (the node then announces nothing).
/// A failed write is tried again on the next pass.
package final class MetalLBAnnouncementStatus: ServiceLifecycle.Service, Sendable {
    /// What this node announces: the Services of its exclusive (layer-2) instances, and those of its routed (BGP)
    /// instances with the BGPPeers each goes to.
    package struct Announced: Sendable, Equatable {
        package var layer2: Set<ServiceID> = []
        package var routed: [ServiceID: Set<String>] = [:]

        package init() {}

        /// What `instances` announce now (read without waiting for a plugin). A routed instance's peers are the
        /// BGPPeers of the derived instance of that name (`conversion`) that select this node (`nodeLabels`).
        package init(
            _ instances: [HeraldPluginHost.PluginInstance], conversion: Conversion, nodeLabels: [String: String]
        ) {
            for instance in instances {
                let services = instance.announced.values.flatMap(\.services)
                guard instance.info.kind != .exclusive else {
                    layer2.formUnion(services)
                    continue
                }
                var peers = Set<String>()
                for derived in conversion.plugins where derived.name == instance.name {
                    guard case .bgp(let config) = derived.kind else { continue }
                    for peer in config.peers
                    where peer.nodeSelectors.isEmpty || peer.nodeSelectors.contains(where: { $0.matches(nodeLabels) }) {
                        if let name = peer.name { peers.insert(name) }
                    }
                }
                for service in services { routed[service, default: []].formUnion(peers) }
            }
        }
    }

    struct Key: Hashable {
        var routed: Bool
        var service: ServiceID
    }

    /// An object this node holds: its name, and the peers its status lists (ServiceBGPStatus).
    struct Held: Equatable {
        var name: String
        var peers: [String]
    }

    let client: KubeClient
    let namespace: String
    let node: String
    let interval: Duration
    let announced: @Sendable () -> Announced
    let logger: Logger

    package init(
        client: KubeClient, namespace: String, node: String, interval: Duration = .milliseconds(500),
        logger: Logger, announced: @escaping @Sendable () -> Announced
    ) {
        self.client = client
        self.namespace = namespace
        self.node = node
        self.interval = interval
        self.announced = announced
        self.logger = logger
    }

    /// The object's name for `key` on `node`: a prefix and 16 hex digits of a digest of node and Service.
    static func name(_ key: Key, node: String) -> String {
        let digest = SHA256.hash(Array("\(node)\n\(key.service.namespace)\n\(key.service.name)".utf8))
        let hex = digest.prefix(8).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
        return (key.routed ? "bgp-" : "l2-") + hex
    }

    package func run() async throws {
        var held: [Key: Held] = [:]
        var adopted = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if !adopted { adopted = await adopt(into: &held) }
            if adopted { await sync(&held) }
            do { try await Task.sleep(for: interval) } catch { break }
        }
        // The node announces nothing once it stops: its objects go (bounded, the host is stopping).
        _ = try? await withTimeLimit(.seconds(5), "removing this node's MetalLB status objects") { [held] in
            var left = held
            await self.remove(&left, keeping: [])
        }
    }

    /// The objects this node wrote before (a restart), found by their node label.
    func adopt(into held: inout [Key: Held]) async -> Bool {
        do {
            try await adopt(MetalLBKinds.ServiceL2Status.self, routed: false, into: &held)
            try await adopt(MetalLBKinds.ServiceBGPStatus.self, routed: true, into: &held)
            return true
        } catch {
            logger.warning("MetalLB: cannot list this node's ServiceL2Status/ServiceBGPStatus objects: \(error)")
            return false
        }
    }

    func adopt<Kind: MetalLBKind>(_ kind: Kind.Type, routed: Bool, into held: inout [Key: Held]) async throws {
        let objects = try await client.listAll(
            MetalLBServiceStatus<Kind>.self, namespace: namespace, labelSelector: "\(MetalLBLabels.node)=\(node)"
        ).items
        for object in objects {
            if let key = Self.key(object, routed: routed), let name = object.metadata.name {
                held[key] = Held(name: name, peers: object.status?.peers ?? [])
            }
        }
    }

    static func key<Kind>(_ object: MetalLBServiceStatus<Kind>, routed: Bool) -> Key? {
        let labels = object.metadata.labels ?? [:]
        guard let name = labels[MetalLBLabels.serviceName],
            let namespace = labels[MetalLBLabels.serviceNamespace]
        else { return nil }
        return Key(routed: routed, service: ServiceID(namespace: namespace, name: name))
    }

    /// Brings the objects to what is announced now.
    func sync(_ held: inout [Key: Held]) async {
        let now = announced()
        var wanted: [Key: [String]] = [:]
        for service in now.layer2 { wanted[Key(routed: false, service: service)] = [] }
        for (service, peers) in now.routed { wanted[Key(routed: true, service: service)] = peers.sorted() }
        await remove(&held, keeping: Set(wanted.keys))
        for key in wanted.keys.sorted(by: Self.order) where held[key]?.peers != wanted[key] {
            let peers = wanted[key] ?? []
            do {
                held[key] =
                    key.routed
                    ? try await write(MetalLBKinds.ServiceBGPStatus.self, key, peers: peers, exists: held[key] != nil)
                    : try await write(MetalLBKinds.ServiceL2Status.self, key, peers: nil, exists: held[key] != nil)
            } catch {
                logger.warning("MetalLB: cannot write the status object of \(key.service): \(error); trying again")
            }
        }
    }

    static func order(_ a: Key, _ b: Key) -> Bool {
        a.service != b.service ? a.service < b.service : !a.routed && b.routed
    }

    /// Deletes every held object not in `keeping` (one already gone counts as deleted).
    func remove(_ held: inout [Key: Held], keeping: Set<Key>) async {
        for (key, object) in held where !keeping.contains(key) {
            let name = object.name
            do {
                if key.routed {
                    try await delete(MetalLBKinds.ServiceBGPStatus.self, name: name)
                } else {
                    try await delete(MetalLBKinds.ServiceL2Status.self, name: name)
                }
                held[key] = nil
            } catch let error as KubeError where error.isNotFound {
                held[key] = nil
            } catch {
                logger.warning("MetalLB: cannot delete status object \(namespace)/\(name): \(error); trying again")
            }
        }
    }

    func delete<Kind: MetalLBKind>(_ kind: Kind.Type, name: String) async throws {
        try await client.delete(MetalLBServiceStatus<Kind>.self, name: name, namespace: namespace)
    }

    /// Writes the object for `key` (created unless it `exists`), its status listing `peers`. Returns what is held.
    func write<Kind: MetalLBKind>(
        _ kind: Kind.Type, _ key: Key, peers: [String]?, exists: Bool
    ) async throws -> Held {
        let name = Self.name(key, node: node)
        let labels = [
            MetalLBLabels.node: node, MetalLBLabels.serviceName: key.service.name,
            MetalLBLabels.serviceNamespace: key.service.namespace,
        ]
        var status = MetalLBAnnouncementStatusBody(
            node: node, serviceName: key.service.name, serviceNamespace: key.service.namespace)
        status.peers = peers
        try await MetalLBServiceStatus<Kind>(
            metadata: ObjectMeta(name: name, namespace: namespace, labels: labels), status: status
        ).put(client: client, exists: exists)
        return Held(name: name, peers: peers ?? [])
    }
}

extension MetalLBStatusObject {
    /// Creates this object unless it `exists` (one found there counts as existing), then writes its status through
    /// the status subresource where the stored one differs (a create ignores the status of a kind whose CRD has a
    /// status subresource, as MetalLB's have).
    func put(client: KubeClient, exists: Bool) async throws {
        var stored: Self?
        if !exists {
            do {
                stored = try await client.create(self)
            } catch let error as KubeError where error.isAlreadyExists {
                stored = nil
            }
        }
        guard stored?.status != status, let status, let name = metadata.name else { return }
        _ = try await client.patch(
            Self.self, name: name, namespace: metadata.namespace, subresource: "status",
            body: Array(try JSONEncoder().encode(["status": status])))
    }
}
