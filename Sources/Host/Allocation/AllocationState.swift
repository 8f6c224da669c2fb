import HeraldCore
import HeraldIPAM
import HeraldKubeModels

/// The allocator role's decisions, with no I/O: which Services Herald serves, which addresses each holds, what each
/// one's status should show, and which Events tell its owner what happened. The Kubernetes controller and the
/// manifest directory both drive it; they only read objects in and write statuses and Events out.
///
/// Restore before serve: ``restoring(_:namespaceLabels:pools:loadBalancerClass:)`` takes every address already in a
/// Service's status back before any Service is given a new one.
package struct AllocationState: Sendable {
    /// An Event about a Service.
    package struct Event: Sendable, CustomStringConvertible {
        package var service: ServiceID
        package var warning: Bool
        /// `IPAllocated`, `AllocationFailed` or `IPReleased`.
        package var reason: String
        private var text: Text

        /// The message, or what it is made of: an assignment's message is written when it is read, so that the
        /// thousands of `IPAllocated` Events a burst holds until its statuses are written keep no text of their own.
        private enum Text: Sendable {
            case written(String)
            case assigned([IPAddress], pool: String)
        }

        package init(service: ServiceID, warning: Bool, reason: String, message: String) {
            self.init(service: service, warning: warning, reason: reason, text: .written(message))
        }

        private init(service: ServiceID, warning: Bool, reason: String, text: Text) {
            self.service = service
            self.warning = warning
            self.reason = reason
            self.text = text
        }

        /// `IPAllocated`: `addresses` were assigned from `pool`.
        static func assigned(_ service: ServiceID, _ addresses: [IPAddress], pool: String) -> Event {
            Event(service: service, warning: false, reason: "IPAllocated", text: .assigned(addresses, pool: pool))
        }

        package var message: String {
            switch text {
            case .written(let message): message
            case .assigned(let addresses, let pool):
                "assigned \(addresses.map(\.description).joined(separator: ",")) from pool \"\(pool)\""
            }
        }

        package var description: String { "\(service): \(reason): \(message)" }

    }

    /// What a change did: the Services whose status may need writing, and the Events to record.
    package struct Effects: Sendable {
        package var touched: Set<ServiceID> = []
        package var events: [Event] = []
        /// Services that stopped being Herald's while holding addresses: their status is cleared once.
        package var cleared: Set<ServiceID> = []

        package init() {}

        package mutating func merge(_ other: Effects) {
            touched.formUnion(other.touched)
            events += other.events
            cleared.formUnion(other.cleared)
        }
    }

    /// What a Service's status and annotation should show.
    package struct Desired: Sendable, Hashable {
        package var addresses: [IPAddress]
        package var pool: String?

        package init(addresses: [IPAddress], pool: String?) {
            self.addresses = addresses
            self.pool = pool
        }
    }

    package private(set) var allocator: Allocator
    package let loadBalancerClass: String?
    /// The request of every Service Herald serves is the allocator's (``Allocator/request(for:)``): every one
    /// either holds addresses or is pending there, so it is kept once.
    /// Served Services that cannot be read, with why.
    package private(set) var invalid: [ServiceID: String] = [:]
    /// The failure last reported per Service, so that a retry failing the same way raises no new Event.
    private var reported: [ServiceID: String] = [:]
    /// The requests' port lists, each kept once: most Services list one of a few (see ``sharingPorts(_:)``).
    private var portLists = SharedValues<[ServicePort]>(limit: 1_024)

    /// An empty state (no Service known yet).
    package init(pools: [Pool], loadBalancerClass: String?) throws(PoolConfigError) {
        allocator = try Allocator(pools: pools)
        self.loadBalancerClass = loadBalancerClass
    }

    /// The state for `services` as they are: every address their statuses show is taken back first (an address that
    /// no longer fits is given up, with an Event), then every Service without one is served.
    package static func restoring(
        _ services: [Service], namespaceLabels: (String) -> [String: String], pools: [Pool],
        loadBalancerClass: String?
    ) throws(PoolConfigError) -> (state: AllocationState, effects: Effects) {
        var state = try AllocationState(pools: pools, loadBalancerClass: loadBalancerClass)
        var effects = Effects()
        var existing: [ExistingAssignment] = []
        var unassigned: [ServiceRequest] = []
        var shown: [ServiceID: [IPAddress]] = [:]
        // Oldest first: where two statuses claim one address, the older Service keeps it.
        let ordered = services.sorted {
            ($0.metadata.creationTimestamp ?? "", ServiceID($0)) < ($1.metadata.creationTimestamp ?? "", ServiceID($1))
        }
        for service in ordered {
            let id = ServiceID(service)
            switch ServiceTranslation.verdict(
                for: service, namespaceLabels: namespaceLabels(id.namespace), loadBalancerClass: loadBalancerClass)
            {
            case .notServed: continue
            case .invalid(let message):
                state.invalid[id] = message
                effects.touched.insert(id)
                effects.events.append(state.failure(id, message))
            case .request(let request):
                let request = state.sharingPorts(request)
                let addresses = ServiceTranslation.statusAddresses(of: service) ?? []
                if addresses.isEmpty {
                    unassigned.append(request)
                } else {
                    shown[id] = addresses
                    existing.append(ExistingAssignment(request: request, addresses: addresses))
                }
            }
        }
        state.allocator.reserveCapacity(existing.count + unassigned.count)
        let report = state.allocator.restore(existing)
        existing = []
        for (id, error) in report.rejected.sorted(by: { $0.key < $1.key }) {
            let held = shown[id]?.map(\.description).joined(separator: ",") ?? ""
            effects.events.append(
                Event(
                    service: id, warning: true, reason: "AllocationFailed",
                    message: "\(held) no longer fits the configuration (\(error.detail)); assigning another address"))
            state.reported[id] = nil
        }
        // The rejected ones are pending in the allocator now; they and the Services without an address are served
        // in name order.
        var serve = report.rejected.keys.compactMap { state.allocator.request(for: $0) } + unassigned
        unassigned = []
        serve.sort { $0.id < $1.id }
        for request in serve {
            effects.merge(state.allocate(request, before: shown[request.id] ?? []))
        }
        return (state, effects)
    }

    /// What the Service's status should show; nil for a Service that is not Herald's (leave it alone).
    package func desired(_ id: ServiceID) -> Desired? {
        guard allocator.request(for: id) != nil || invalid[id] != nil else { return nil }
        let assignment = allocator.assignment(for: id)
        return Desired(addresses: assignment?.addresses ?? [], pool: assignment?.pool)
    }

    /// Takes in a created or changed Service.
    package mutating func update(_ service: Service, namespaceLabels: [String: String]) -> Effects {
        let id = ServiceID(service)
        switch ServiceTranslation.verdict(
            for: service, namespaceLabels: namespaceLabels, loadBalancerClass: loadBalancerClass)
        {
        case .notServed:
            guard allocator.request(for: id) != nil || invalid[id] != nil else { return Effects() }
            let held = allocator.assignment(for: id)
            var effects = forget(id)
            if let held {
                effects.cleared.insert(id)
                effects.events.append(
                    Event(
                        service: id, warning: false, reason: "IPReleased",
                        message: "released \(held.addresses.map(\.description).joined(separator: ",")): "
                            + "the service is no longer a LoadBalancer served by Herald"))
            }
            return effects
        case .invalid(let message):
            let before = allocator.assignment(for: id)?.addresses ?? []
            invalid[id] = message
            var effects = releasing(id)
            effects.touched.insert(id)
            if reported[id] != message { effects.events.append(failure(id, message)) }
            if !before.isEmpty {
                effects.events.append(
                    Event(
                        service: id, warning: false, reason: "IPReleased",
                        message: "released \(before.map(\.description).joined(separator: ","))"))
            }
            return effects
        case .request(let request):
            let request = sharingPorts(request)
            invalid[id] = nil
            if allocator.assignment(for: id) != nil, allocator.request(for: id) == request { return Effects() }
            return allocate(request, before: allocator.assignment(for: id)?.addresses ?? [])
        }
    }

    /// `request` with the port list equal to its own that is already kept, if any: the allocator keeps every
    /// request, and each list is an allocation of its own (half a megabyte at 10,000 Services).
    private mutating func sharingPorts(_ request: ServiceRequest) -> ServiceRequest {
        var shared = request
        shared.ports = portLists.shared(request.ports)
        return shared
    }

    /// Takes in a deleted Service: its addresses are free for the Services waiting for one.
    package mutating func delete(_ id: ServiceID) -> Effects {
        forget(id)
    }

    /// Takes in new pools (a reload of herald.yaml): Services whose addresses no longer fit are given new ones, with
    /// Events; pending ones are tried again. Throws, changing nothing, on invalid pools.
    package mutating func setPools(_ pools: [Pool]) throws(PoolConfigError) -> Effects {
        let before = allocator.assignments
        let change = try allocator.setPools(pools)
        var effects = Effects()
        for (id, error) in change.displaced.sorted(by: { $0.key < $1.key }) {
            let held = before[id]?.addresses.map(\.description).joined(separator: ",") ?? ""
            effects.events.append(
                Event(
                    service: id, warning: false, reason: "IPReleased",
                    message: "released \(held): \(error.detail)"))
            reported[id] = nil
        }
        effects.touched.formUnion(change.moved.keys)
        // Pending and displaced Services, and PreferDualStack ones whose pool now has their other family.
        for id in change.retry + change.gainsFamily.filter({ !change.retry.contains($0) }) {
            guard let request = allocator.request(for: id) else { continue }
            effects.merge(allocate(request, before: before[id]?.addresses ?? []))
        }
        return effects
    }

    // MARK: Steps

    /// Allocates for `request` (the Service's latest) and reports what changed against `before` (the addresses the
    /// Service showed).
    private mutating func allocate(_ request: ServiceRequest, before: [IPAddress]) -> Effects {
        let id = request.id
        let held = allocator.assignment(for: id)
        var effects = Effects()
        effects.touched.insert(id)
        switch allocator.allocate(request) {
        case .success(let assignment):
            reported[id] = nil
            if assignment.addresses != before {
                effects.events.append(.assigned(id, assignment.addresses, pool: assignment.pool))
            }
            if let held, held.addresses != assignment.addresses {
                let given = held.addresses.filter { !assignment.addresses.contains($0) }
                effects.merge(retry(allocator.pending(helpedBy: given)))
            }
        case .failure(let error):
            if reported[id] != error.detail { effects.events.append(failure(id, error.detail)) }
            if let held { effects.merge(retry(allocator.pending(helpedBy: held.addresses))) }
        }
        return effects
    }

    /// Forgets a Service (deleted, or no longer Herald's) and retries the Services its addresses can help.
    private mutating func forget(_ id: ServiceID) -> Effects {
        invalid[id] = nil
        reported[id] = nil
        return releasing(id)
    }

    /// Releases the addresses of `id` and gives them to the Services that wait for one.
    private mutating func releasing(_ id: ServiceID) -> Effects {
        retry(allocator.release(id).retry)
    }

    /// Tries the pending Services of `ids` again, in order: the ones the addresses a Service gave up may help
    /// (``HeraldIPAM/Allocator/pending(helpedBy:)``), never every pending Service; and of those, only while the
    /// pools they found exhausted have room for them, so that one freed address costs one retry, not one per waiting
    /// Service.
    private mutating func retry(_ ids: [ServiceID]) -> Effects {
        var effects = Effects()
        for id in ids where allocator.pending[id] != nil && allocator.worthRetrying(id) {
            if let request = allocator.request(for: id) { effects.merge(allocate(request, before: [])) }
        }
        return effects
    }

    private mutating func failure(_ id: ServiceID, _ message: String) -> Event {
        reported[id] = message
        return Event(service: id, warning: true, reason: "AllocationFailed", message: message)
    }
}
