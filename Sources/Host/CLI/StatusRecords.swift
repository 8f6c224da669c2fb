import Foundation
import HeraldCore
import HeraldKube
import HeraldKubeModels
import HeraldRuntime

/// Who announces what, as the cluster records it: MetalLB mode's ServiceL2Status/ServiceBGPStatus objects, the
/// speakers' `NodeAssigned` Events, and the membership leases that say whether the node of an Event is still there.
struct StatusRecords {
    /// A node's membership lease, as read now.
    struct Member {
        var live: Bool
        /// The instances the node reports unhealthy (``NodeMembership/unhealthyAnnotation``).
        var unhealthy: Set<String>
    }

    /// One `NodeAssigned` Event: `ADDRESS is announced from node "N" through plugin instance "I"`.
    struct Assignment {
        var address: IPAddress
        var node: String
        var instance: String
        /// When it was last recorded, and the Event's resourceVersion to order two of one second.
        var time: Date
        var version: Int
    }

    /// MetalLB's status objects by Service: each node, and whether it is a ServiceBGPStatus.
    var statusObjects: [ServiceID: [(node: String, routed: Bool)]] = [:]
    var assignments: [ServiceID: [Assignment]] = [:]
    var members: [String: Member] = [:]
    /// Why a source could not be read (a missing MetalLB CRD is no reason: it is skipped silently).
    var notes: [String] = []

    /// Reads every source; one that cannot be read is a note, never the end of the status.
    static func read(_ client: KubeClient, namespace: String, now: Date = Date()) async -> StatusRecords {
        var records = StatusRecords()
        do {
            for lease in try await client.listAll(Lease.self, namespace: namespace, labelSelector: NodeMembership.label)
                .items
            {
                guard let node = lease.spec?.holderIdentity, !node.isEmpty else { continue }
                records.members[node] = Member(live: live(lease, now: now), unhealthy: MembershipView.unhealthy(lease))
            }
        } catch {
            records.notes.append("note: cannot read the membership leases of \(namespace): \(error)")
        }
        await records.readStatusObjects(client, MetalLBKinds.ServiceL2Status.self, routed: false)
        await records.readStatusObjects(client, MetalLBKinds.ServiceBGPStatus.self, routed: true)
        do {
            let events = try await client.listAll(
                Event.self, fieldSelector: "involvedObject.kind=Service,reason=\(KubernetesEvents.nodeAssignedReason)"
            ).items
            for event in events {
                guard let assignment = assignment(event) else { continue }
                let service = ServiceID(
                    namespace: event.involvedObject.namespace ?? event.metadata.namespace ?? "default",
                    name: event.involvedObject.name ?? "")
                records.assignments[service, default: []].append(assignment)
            }
        } catch {
            records.notes.append("note: cannot read the NodeAssigned Events: \(error)")
        }
        return records
    }

    mutating func readStatusObjects<Kind: MetalLBKind>(_ client: KubeClient, _ kind: Kind.Type, routed: Bool) async {
        typealias Object = MetalLBServiceStatus<Kind>
        do {
            for object in try await client.listAll(Object.self).items {
                let labels = object.metadata.labels ?? [:]
                guard let name = object.status?.serviceName ?? labels[MetalLBLabels.serviceName],
                    let namespace = object.status?.serviceNamespace ?? labels[MetalLBLabels.serviceNamespace],
                    let node = object.status?.node ?? labels[MetalLBLabels.node]
                else { continue }
                statusObjects[ServiceID(namespace: namespace, name: name), default: []].append((node, routed))
            }
        } catch let error as KubeError where error.isNotFound {
            // MetalLB's CRDs are not installed: there are no such objects.
        } catch {
            notes.append("note: cannot read the \(Kind.kind) objects: \(error)")
        }
    }

    /// Whether a membership lease is live now: renewed less than its duration ago (``MembershipView/duration(_:)``).
    static func live(_ lease: Lease, now: Date) -> Bool {
        guard let renewed = lease.spec?.renewTime?.date else { return false }
        return .seconds(now.timeIntervalSince(renewed)) < MembershipView.duration(lease)
    }

    /// The assignment a `NodeAssigned` Event records (``KubernetesEvents/nodeAssigned(in:)`` reads its message).
    static func assignment(_ event: Event) -> Assignment? {
        guard let recorded = event.message.flatMap(KubernetesEvents.nodeAssigned(in:)),
            let address = IPAddress(recorded.address)
        else { return nil }
        let stamp = event.lastTimestamp ?? event.firstTimestamp ?? event.metadata.creationTimestamp
        return Assignment(
            address: address, node: recorded.node, instance: recorded.instance,
            time: stamp.flatMap(MicroTime.init(string:))?.date ?? .distantPast,
            version: event.metadata.resourceVersion.flatMap { Int($0) } ?? 0)
    }

    /// The announcers MetalLB's status objects name for `service` (`l2: node`, `bgp: node, node`), or nil.
    func fromStatusObjects(_ service: ServiceID) -> [String]? {
        guard let objects = statusObjects[service], !objects.isEmpty else { return nil }
        var parts: [String] = []
        for routed in [false, true] {
            let nodes = Set(objects.filter { $0.routed == routed }.map(\.node)).sorted()
            guard !nodes.isEmpty else { continue }
            let marked = nodes.map { node in
                members[node].map { $0.live ? node : "\(node) (lease expired)" } ?? node
            }
            parts.append("\(routed ? "bgp" : "l2"): " + marked.joined(separator: ", "))
        }
        return parts
    }

    /// For each of `addresses` and each plugin instance that a `NodeAssigned` Event names with it (two exclusive
    /// instances may announce one address, ARP and another), the most recent one's node, marked when the node's
    /// membership lease has expired or is gone, or the node reports the instance unhealthy. Returns the instances
    /// answered and their texts; nil when no Event names a current address.
    func fromEvents(_ service: ServiceID, addresses: [IPAddress]) -> (instances: Set<String>, parts: [String])? {
        let recorded = assignments[service] ?? []
        var instances: Set<String> = []
        var parts: [String] = []
        for address in addresses {
            let named = recorded.filter { $0.address == address }
            for instance in Set(named.map(\.instance)).sorted() {
                guard
                    let latest = named.filter({ $0.instance == instance }).max(by: { a, b in
                        a.time != b.time ? a.time < b.time : a.version < b.version
                    })
                else { continue }
                var text = "\(latest.instance): \(latest.node)"
                switch members[latest.node] {
                case nil: text += " (no membership lease)"
                case let member? where !member.live: text += " (lease expired)"
                case let member? where member.unhealthy.contains(latest.instance): text += " (instance unhealthy)"
                default: break
                }
                instances.insert(latest.instance)
                if !parts.contains(text) { parts.append(text) }
            }
        }
        return parts.isEmpty ? nil : (instances, parts)
    }
}
