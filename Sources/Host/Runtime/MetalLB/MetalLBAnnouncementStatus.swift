import Foundation
import HeraldCore
import HeraldKube
import HeraldKubeModels
import HeraldPlanner
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
    /// What this node announces now: the Services of its exclusive (layer-2) and of its routed (BGP) instances.
    package typealias Announced = @Sendable () -> (layer2: Set<ServiceID>, routed: Set<ServiceID>)

    struct Key: Hashable {
        var routed: Bool
        var service: ServiceID
    }

    let client: KubeClient
    let namespace: String
    let node: String
    let interval: Duration
    let announced: Announced
    let logger: Logger

    package init(
        client: KubeClient, namespace: String, node: String, interval: Duration = .milliseconds(500),
        logger: Logger, announced: @escaping Announced
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
        var held: [Key: String] = [:]
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
    func adopt(into held: inout [Key: String]) async -> Bool {
        do {
            let selector = "\(MetalLBServiceStatus<MetalLBKinds.ServiceL2Status>.nodeLabel)=\(node)"
            for object in try await client.listAll(
                MetalLBServiceStatus<MetalLBKinds.ServiceL2Status>.self, namespace: namespace, labelSelector: selector
            ).items {
                if let key = Self.key(object, routed: false) { held[key] = object.metadata.name }
            }
            for object in try await client.listAll(
                MetalLBServiceStatus<MetalLBKinds.ServiceBGPStatus>.self, namespace: namespace, labelSelector: selector
            ).items {
                if let key = Self.key(object, routed: true) { held[key] = object.metadata.name }
            }
            return true
        } catch {
            logger.warning("MetalLB: cannot list this node's ServiceL2Status/ServiceBGPStatus objects: \(error)")
            return false
        }
    }

    static func key<Kind>(_ object: MetalLBServiceStatus<Kind>, routed: Bool) -> Key? {
        let labels = object.metadata.labels ?? [:]
        guard let name = labels[MetalLBServiceStatus<Kind>.serviceNameLabel],
            let namespace = labels[MetalLBServiceStatus<Kind>.serviceNamespaceLabel]
        else { return nil }
        return Key(routed: routed, service: ServiceID(namespace: namespace, name: name))
    }

    /// Brings the objects to what is announced now.
    func sync(_ held: inout [Key: String]) async {
        let now = announced()
        let wanted = Set(
            now.layer2.map { Key(routed: false, service: $0) } + now.routed.map { Key(routed: true, service: $0) })
        await remove(&held, keeping: wanted)
        for key in wanted.subtracting(held.keys).sorted(by: Self.order) {
            do {
                held[key] =
                    key.routed
                    ? try await create(MetalLBKinds.ServiceBGPStatus.self, key)
                    : try await create(MetalLBKinds.ServiceL2Status.self, key)
            } catch {
                logger.warning("MetalLB: cannot write the status object of \(key.service): \(error); trying again")
            }
        }
    }

    static func order(_ a: Key, _ b: Key) -> Bool {
        a.service != b.service ? a.service < b.service : !a.routed && b.routed
    }

    /// Deletes every held object not in `keeping` (one already gone counts as deleted).
    func remove(_ held: inout [Key: String], keeping: Set<Key>) async {
        for (key, name) in held where !keeping.contains(key) {
            do {
                if key.routed {
                    try await client.delete(
                        MetalLBServiceStatus<MetalLBKinds.ServiceBGPStatus>.self, name: name, namespace: namespace)
                } else {
                    try await client.delete(
                        MetalLBServiceStatus<MetalLBKinds.ServiceL2Status>.self, name: name, namespace: namespace)
                }
                held[key] = nil
            } catch let error as KubeError where error.isNotFound {
                held[key] = nil
            } catch {
                logger.warning("MetalLB: cannot delete status object \(namespace)/\(name): \(error); trying again")
            }
        }
    }

    /// Creates the object for `key` (or finds it there), then writes its status through the status subresource
    /// (which a create ignores when the CRD has one, as MetalLB's do). Returns its name.
    func create<Kind: MetalLBKind>(_ kind: Kind.Type, _ key: Key) async throws -> String {
        typealias Object = MetalLBServiceStatus<Kind>
        let name = Self.name(key, node: node)
        let labels = [
            Object.nodeLabel: node, Object.serviceNameLabel: key.service.name,
            Object.serviceNamespaceLabel: key.service.namespace,
        ]
        let status = Object.Status(
            node: node, serviceName: key.service.name, serviceNamespace: key.service.namespace)
        let object = Object(metadata: ObjectMeta(name: name, namespace: namespace, labels: labels), status: status)
        var stored: Object?
        do {
            stored = try await client.create(object)
        } catch let error as KubeError where error.isAlreadyExists {
            stored = nil
        }
        if stored?.status != status {
            let body = try JSONEncoder().encode(["status": status])
            _ = try await client.patch(
                Object.self, name: name, namespace: namespace, subresource: "status", body: Array(body))
        }
        return name
    }
}
