import HeraldCore

extension Allocator {
    /// `allocate(_:)` without the pending bookkeeping.
    mutating func resolve(_ request: ServiceRequest) -> Result<Assignment, AllocationError> {
        if let existing = held[request.id] {
            if case .success = verify(existing.assignment.addresses, for: request) {
                update(request)
                if let widened = addMissingFamily(request) { return .success(widened) }
                return .success(held[request.id]?.assignment ?? existing.assignment)
            }
            _ = drop(request.id)
        }
        if !request.requestedAddresses.isEmpty {
            return verify(request.requestedAddresses, for: request).map { pool in
                commit(request, pool: pool, addresses: request.requestedAddresses, takeFree: true)
            }
        }
        return allocateFromPools(request)
    }

    /// Checks that the service of `request` may hold exactly `addresses` (requested, restored or already held) and
    /// returns their pool: the families fit the policy, a requested list is the same, all come from one pool the
    /// service may use, and every holder of each address can share it with the service.
    func verify(_ addresses: [IPAddress], for request: ServiceRequest) -> Result<Int, AllocationError> {
        func fail(_ reason: AllocationError.Reason) -> Result<Int, AllocationError> {
            .failure(AllocationError(service: request.id, reason: reason))
        }
        if let reason = policyProblem(request) { return fail(reason) }
        if !request.requestedAddresses.isEmpty && Set(request.requestedAddresses) != Set(addresses) {
            return fail(.statusDiffersFromRequest(held: addresses, requested: request.requestedAddresses))
        }
        if !familiesFit(addresses, request) {
            return fail(
                .addressFamilies(addresses: addresses, policy: request.ipFamilyPolicy, families: request.families)
            )
        }
        var pools: [IPAddress: Int] = [:]
        for address in addresses {
            guard let pool = poolIndex(containing: address) else {
                let avoiding = spaces.first { space in space.pool.ranges.contains { $0.contains(address) } }
                return fail(.addressNotInAnyPool(address, leftOutBy: avoiding?.name))
            }
            pools[address] = pool
        }
        let distinct = Set(pools.values)
        guard distinct.count == 1, let pool = distinct.first else {
            return fail(.addressesInDifferentPools(pools.mapValues { spaces[$0].name }))
        }
        if let reason = admission(of: request, to: pool, for: addresses[0]) { return fail(reason) }
        for address in addresses {
            if let conflict = conflict(sharing: address, inPool: pool, with: request) {
                return fail(.addressTaken(address, conflict))
            }
        }
        return .success(pool)
    }

    /// Why the service may not take `address` of pool `pool`, or nil.
    private func admission(of request: ServiceRequest, to pool: Int, for address: IPAddress) -> AllocationError.Reason?
    {
        let name = spaces[pool].name
        if let requested = request.requestedPool {
            guard index(ofPool: requested) != nil else { return .poolNotFound(requested) }
            if requested != name { return .addressNotInRequestedPool(address, pool: name, requested: requested) }
        }
        if let allocation = spaces[pool].pool.serviceAllocation, !allocation.matches(request) {
            return .poolReserved(pool: name, reservedFor: allocation.description)
        }
        return nil
    }

    /// A problem of the request's family policy that no address can solve, or nil.
    func policyProblem(_ request: ServiceRequest) -> AllocationError.Reason? {
        let families = request.distinctFamilies
        if families.isEmpty { return .noClusterIPFamily }
        if request.ipFamilyPolicy == .requireDualStack && families.count < 2 {
            return .dualStackUnavailable(families: families)
        }
        return nil
    }

    /// Whether `addresses` are one per family and fit the policy: SingleStack the primary family only,
    /// RequireDualStack both, PreferDualStack any of the service's families.
    private func familiesFit(_ addresses: [IPAddress], _ request: ServiceRequest) -> Bool {
        let families = addresses.map(\.family)
        let allowed = request.distinctFamilies
        guard !families.isEmpty, Set(families).count == families.count, families.allSatisfy(allowed.contains) else {
            return false
        }
        switch request.ipFamilyPolicy {
        case .singleStack: return families == [allowed[0]]
        case .requireDualStack: return families.count == allowed.count
        case .preferDualStack: return true
        }
    }

    /// Why the service of `request` may not share `address` of pool `pool` with its current holders (itself aside),
    /// or nil.
    func conflict(sharing address: IPAddress, inPool pool: Int, with request: ServiceRequest) -> SharingConflict? {
        let profile = request.sharing
        let (name, scope) = (spaces[pool].name, spaces[pool].pool.sharingScope)
        for holder in services(holding: address) where holder != request.id {
            guard let theirs = held[holder]?.request.sharing else { continue }
            if let conflict = profile.conflict(
                with: theirs, holder: holder, requester: request.id, pool: name, scope: scope)
            {
                return conflict
            }
        }
        return nil
    }
}

extension ServiceRequest {
    /// The service's families without repeats, primary first.
    var distinctFamilies: [IPFamily] {
        if families.count < 2 || (families.count == 2 && families[0] != families[1]) { return families }
        var result: [IPFamily] = []
        for family in families where !result.contains(family) { result.append(family) }
        return result
    }

    /// `addresses` in the order of the service's families, primary first.
    func ordered(_ addresses: [IPAddress]) -> [IPAddress] {
        if addresses.count < 2 { return addresses }
        let order = distinctFamilies
        func rank(_ address: IPAddress) -> Int { order.firstIndex(of: address.family) ?? order.count }
        return addresses.sorted { rank($0) < rank($1) }
    }
}
