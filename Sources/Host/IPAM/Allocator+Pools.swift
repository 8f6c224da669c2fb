import HeraldCore

extension Allocator {
    /// Picks addresses for a service that requests none: the first pool, in pool order, that may serve it and has
    /// room in every family it needs. With a sharing key, an address already shared under that key (and compatible)
    /// comes before a free one. PreferDualStack tries both families in every pool before settling for the primary.
    mutating func allocateFromPools(_ request: ServiceRequest) -> Result<Assignment, AllocationError> {
        func fail(_ reason: AllocationError.Reason) -> Result<Assignment, AllocationError> {
            .failure(AllocationError(service: request.id, reason: reason))
        }
        if let reason = policyProblem(request) { return fail(reason) }
        let families = request.distinctFamilies
        var attempts = [families]
        switch request.ipFamilyPolicy {
        case .singleStack: attempts = [[families[0]]]
        case .preferDualStack where families.count > 1: attempts.append([families[0]])
        case .preferDualStack, .requireDualStack: break
        }
        let candidates: [Int]
        if let name = request.requestedPool {
            guard let pool = index(ofPool: name) else { return fail(.poolNotFound(name)) }
            candidates = [pool]
        } else {
            candidates = Array(spaces.indices)
        }
        var verdicts: [PoolVerdict] = []
        for needed in attempts {
            verdicts = []
            for pool in candidates {
                switch take(needed, fromPool: pool, for: request) {
                case .success(let addresses):
                    return .success(commit(request, pool: pool, addresses: addresses, takeFree: false))
                case .failure(let verdict):
                    verdicts.append(verdict)
                }
            }
        }
        return fail(.noPoolAvailable(verdicts))
    }

    /// Takes one address of each family in `needed` from pool `pool`, all or none.
    private mutating func take(
        _ needed: [IPFamily],
        fromPool pool: Int,
        for request: ServiceRequest
    ) -> Result<[IPAddress], PoolVerdict> {
        // Only the configuration is copied out: a copy of the pool space would share its free-space buffers and
        // make the next mutation copy them whole.
        let config = spaces[pool].pool
        func refuse(_ reason: PoolVerdict.Reason) -> Result<[IPAddress], PoolVerdict> {
            .failure(PoolVerdict(pool: config.name, reason: reason))
        }
        if request.requestedPool == nil && !config.autoAssign { return refuse(.autoAssignDisabled) }
        if let allocation = config.serviceAllocation, !allocation.matches(request) {
            return refuse(.reserved(for: allocation.description))
        }
        if let missing = needed.first(where: { spaces[pool].capacity($0) == 0 }) {
            return refuse(.lacksFamily(missing))
        }
        var picked: [IPAddress] = []
        var taken: [IPAddress] = []
        for family in needed {
            if let shared = shareable(family, inPool: pool, for: request) {
                picked.append(shared)
            } else if let free = takeLowest(family, inPool: pool) {
                picked.append(free)
                taken.append(free)
            } else {
                for address in taken { giveBack(address, toPool: pool) }
                let (inUse, capacity) = (spaces[pool].inUse(family), spaces[pool].capacity(family))
                return refuse(.exhausted(family, inUse: inUse, capacity: capacity))
            }
        }
        return .success(picked)
    }

    /// The lowest address of `family` in pool `pool` shared under the request's key that the service may join.
    private func shareable(_ family: IPFamily, inPool pool: Int, for request: ServiceRequest) -> IPAddress? {
        guard let key = request.sharingKey else { return nil }
        return addresses(sharedUnder: key)
            .filter { $0.family == family && spaces[pool].isUsable($0) }
            .sorted()
            .first { conflict(sharing: $0, with: request) == nil }
    }
}
