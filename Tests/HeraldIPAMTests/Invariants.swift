import HeraldCore

@testable import HeraldIPAM

/// Checks what must hold after every step; returns a description of each violation.
func invariantViolations(_ allocator: Allocator, requests: [ServiceID: ServiceRequest]) -> [String] {
    var problems: [String] = []
    var inverted: [IPAddress: [ServiceID]] = [:]
    for (id, assignment) in allocator.assignments {
        guard let request = allocator.held[id]?.request else {
            problems.append("\(id) holds addresses without a request")
            continue
        }
        if request != requests[id] { problems.append("\(id) is held under a request that is not its latest") }
        if allocator.pending[id] != nil { problems.append("\(id) is both pending and assigned") }
        for address in assignment.addresses {
            inverted[address, default: []].append(id)
            // Every address is inside a current pool, the one the assignment names.
            if allocator.pool(containing: address) != assignment.pool {
                problems.append("\(address) of \(id) is not in pool \(assignment.pool)")
            }
        }
        problems += fitViolations(request, assignment, pools: allocator.pools)
    }
    for (address, holders) in inverted {
        if holders.sorted() != allocator.services(holding: address) {
            problems.append(
                "holders of \(address) disagree: \(holders.sorted()) vs \(allocator.services(holding: address))"
            )
        }
        // No address held by two services that cannot share it.
        for first in holders {
            for second in holders where first < second {
                guard let a = allocator.held[first]?.request, let b = allocator.held[second]?.request else { continue }
                let scope = allocator.pool(containing: address).flatMap { name in
                    allocator.pools.first { $0.name == name }?.sharingScope
                }
                if !compatible(a, b, scope: scope ?? .cluster) {
                    problems.append("\(address) held by \(first) and \(second), which cannot share")
                }
            }
        }
    }
    problems += statisticsViolations(allocator, inverted: inverted)
    return problems
}

/// MetalLB's sharing rules and the pool's sharing scope, written out independently of the allocator's own check.
private func compatible(_ a: ServiceRequest, _ b: ServiceRequest, scope: SharingScope) -> Bool {
    if scope == .namespace && a.id.namespace != b.id.namespace { return false }
    guard let key = a.sharingKey, key == b.sharingKey else { return false }
    let sameBackend: Bool
    switch (a.backend, b.backend) {
    case (.cluster, .cluster): sameBackend = true
    case (.local(let x), .local(let y)): sameBackend = x == y
    default: sameBackend = false
    }
    return sameBackend && Set(a.ports).isDisjoint(with: b.ports)
}

/// The assignment fits the request: families, requested addresses, named pool, reservation.
private func fitViolations(_ request: ServiceRequest, _ assignment: Assignment, pools: [Pool]) -> [String] {
    var problems: [String] = []
    let families = assignment.addresses.map(\.family)
    let wanted = request.distinctFamilies
    if Set(families).count != families.count || families.isEmpty || !families.allSatisfy(wanted.contains) {
        problems.append("\(request.id) holds families \(families) for \(wanted)")
    }
    if request.ipFamilyPolicy == .singleStack && families != [wanted.first] {
        problems.append("\(request.id) is single-stack but holds \(families)")
    }
    if request.ipFamilyPolicy == .requireDualStack && families.count != 2 {
        problems.append("\(request.id) requires dual-stack but holds \(families)")
    }
    if families != wanted.filter(families.contains) { problems.append("\(request.id) holds families out of order") }
    if !request.requestedAddresses.isEmpty && Set(request.requestedAddresses) != Set(assignment.addresses) {
        problems.append("\(request.id) requested \(request.requestedAddresses) but holds \(assignment.addresses)")
    }
    if let named = request.requestedPool, named != assignment.pool {
        problems.append("\(request.id) named pool \(named) but holds from \(assignment.pool)")
    }
    let pool = pools.first { $0.name == assignment.pool }
    if let allocation = pool?.serviceAllocation, !allocation.matches(request) {
        problems.append("\(request.id) holds from \(assignment.pool), which is reserved for \(allocation)")
    }
    return problems
}

/// Usage counts agree with the addresses held.
private func statisticsViolations(_ allocator: Allocator, inverted: [IPAddress: [ServiceID]]) -> [String] {
    var problems: [String] = []
    var held: [String: [IPFamily: Int]] = [:]
    for address in inverted.keys {
        if let pool = allocator.pool(containing: address) { held[pool, default: [:]][address.family, default: 0] += 1 }
    }
    var services: [String: Int] = [:]
    for assignment in allocator.assignments.values { services[assignment.pool, default: 0] += 1 }
    for stats in allocator.statistics() {
        for (family, usage) in stats.usage {
            let count = held[stats.pool]?[family] ?? 0
            if usage.inUse != UInt128(count) {
                problems.append("pool \(stats.pool) counts \(usage.inUse) \(family) in use, \(count) are held")
            }
        }
        if stats.services != services[stats.pool] ?? 0 {
            problems.append("pool \(stats.pool) counts \(stats.services) services, not \(services[stats.pool] ?? 0)")
        }
    }
    return problems
}

extension Allocator {
    /// What the Services' statuses would show: every assignment with its request.
    var statusEntries: [ExistingAssignment] {
        held.keys.sorted().compactMap { id in
            held[id].map { ExistingAssignment(request: $0.request, addresses: $0.assignment.addresses) }
        }
    }
}
