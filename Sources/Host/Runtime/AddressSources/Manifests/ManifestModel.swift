import HeraldAllocation
import HeraldConfig
import HeraldConfigModel
import HeraldCore
import HeraldIPAM
import HeraldKube
import HeraldKubeModels
import HeraldPlanner

/// The allocator over a manifest directory, with no I/O: the same decisions as on a cluster, from the objects of the
/// files and the addresses recorded in the status file. `herald run` and `herald plan` both go through it, so a plan
/// is exactly what a run does.
package enum ManifestModel {
    /// The allocation for `manifests`: every address the status file (or a manifest's own status) records is taken
    /// back before any Service gets a new one.
    package static func restoring(
        _ manifests: Manifests, recorded: StatusFile, config: HeraldConfiguration
    ) throws(PoolConfigError) -> (state: AllocationState, effects: AllocationState.Effects) {
        let recordedAddresses = recorded.addresses
        let services = manifests.services.map { service -> Service in
            var service = service
            let shown = ServiceTranslation.statusAddresses(of: service) ?? []
            if shown.isEmpty, let addresses = recordedAddresses[ServiceID(service).description], !addresses.isEmpty {
                service.status = .init(loadBalancer: .init(ingress: addresses.map { .init(ip: $0.description) }))
            }
            return service
        }
        let labels = manifests.namespaceLabels
        return try AllocationState.restoring(
            services, namespaceLabels: { labels[$0] ?? [:] }, pools: config.pools,
            loadBalancerClass: config.loadBalancerClass)
    }

    /// Brings `state` from the objects of `old` to those of `new`: changed and new Services are updated, removed
    /// ones released (their addresses go to the Services waiting for one).
    package static func update(
        _ state: inout AllocationState, from old: Manifests, to new: Manifests
    ) -> AllocationState.Effects {
        var effects = AllocationState.Effects()
        let before = Dictionary(old.services.map { (ServiceID($0), $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.services.map { (ServiceID($0), $0) }, uniquingKeysWith: { a, _ in a })
        let oldLabels = old.namespaceLabels
        let labels = new.namespaceLabels
        for id in before.keys.sorted() where after[id] == nil { effects.merge(state.delete(id)) }
        for id in after.keys.sorted() {
            guard let service = after[id] else { continue }
            if before[id] == service && oldLabels[id.namespace] == labels[id.namespace] { continue }
            effects.merge(state.update(service, namespaceLabels: labels[id.namespace] ?? [:]))
        }
        return effects
    }

    /// The service addresses of `state`, with the traffic policy the manifests give each Service.
    package static func addresses(_ state: AllocationState, manifests: Manifests) -> [ServiceAddress] {
        let services = Dictionary(manifests.services.map { (ServiceID($0), $0) }, uniquingKeysWith: { a, _ in a })
        return state.allocator.assignments.sorted { $0.key < $1.key }.map { id, assignment in
            ServiceAddress(
                service: id, addresses: assignment.addresses, pool: assignment.pool,
                trafficPolicy: ServiceTranslation.trafficPolicy(services[id], slices: manifests.endpointSlices))
        }
    }

    /// The Nodes of the manifests as the planner sees them: all alive.
    package static func nodes(_ manifests: Manifests) -> [NodeState] {
        manifests.nodes.map { NodeState(name: $0.metadata.name ?? "", labels: $0.metadata.labels ?? [:]) }
    }
}
