import HeraldCore

extension Allocator {
    /// Picks addresses for a service that requests none: the first pool, in pool order, that may serve it and has
    /// room in every family it needs. With a sharing key, an address already shared under that key (and compatible)
    /// comes before a free one. PreferDualStack tries both families in every pool, then the primary family alone in
    /// every pool, then the other family alone (as MetalLB does), and fails only when all three fail.
    mutating func allocateFromPools(_ request: ServiceRequest) -> Result<Assignment, AllocationError> {
        func fail(_ reason: AllocationError.Reason) -> Result<Assignment, AllocationError> {
            .failure(AllocationError(service: request.id, reason: reason))
        }
        if let reason = policyProblem(request) { return fail(reason) }
        let families = request.distinctFamilies
        var attempts = [families]
        switch request.ipFamilyPolicy {
        case .singleStack: attempts = [[families[0]]]
        case .preferDualStack where families.count > 1: attempts += [[families[0]], [families[1]]]
        case .preferDualStack, .requireDualStack: break
        }
        let candidates: [Int]
        if let name = request.requestedPool {
            guard let pool = index(ofPool: name) else { return fail(.poolNotFound(name)) }
            candidates = [pool]
        } else {
            candidates = Array(spaces.indices)
        }
        var verdicts: [[PoolVerdict]] = []
        for needed in attempts {
            var round: [PoolVerdict] = []
            for pool in candidates {
                switch take(needed, fromPool: pool, for: request) {
                case .success(let addresses):
                    return .success(commit(request, pool: pool, addresses: addresses, takeFree: false))
                case .failure(let verdict):
                    round.append(verdict)
                }
            }
            verdicts.append(round)
        }
        return fail(.noPoolAvailable(Self.reportedVerdicts(verdicts, primary: families[0])))
    }

    /// Why each pool failed a service, from the verdicts of every attempt (one per candidate pool each): those of the
    /// last attempt, except for PreferDualStack, whose primary family's verdicts are reported, but a pool that lacks
    /// the primary family and is exhausted in the other is reported exhausted (so that a release lists the service).
    private static func reportedVerdicts(_ attempts: [[PoolVerdict]], primary: IPFamily) -> [PoolVerdict] {
        guard attempts.count == 3 else { return attempts.last ?? [] }
        return zip(attempts[1], attempts[2]).map { first, other in
            first.reason == .lacksFamily(primary) && other.isExhaustion ? other : first
        }
    }

    /// Gives a PreferDualStack service that holds one address, and requests none, an address of its other family
    /// from the same pool when the pool has one for it (MetalLB does so at the next reconcile); it keeps the address
    /// it holds. Nil, changing nothing, when there is nothing to add. Call it after `update(_:)`.
    mutating func addMissingFamily(_ request: ServiceRequest) -> Assignment? {
        // The pool admits the service (its address was verified).
        guard let entry = held[request.id], let (missing, pool) = secondFamily(of: entry),
            request.requestedPool != nil || spaces[pool].pool.autoAssign,
            let added = shareable(missing, inPool: pool, for: request) ?? takeLowest(missing, inPool: pool)
        else { return nil }
        return extend(request, with: added)
    }

    /// Whether the service may gain an address of its other family from its pool (see `addMissingFamily(_:)`): the
    /// pool has a free one.
    func mayGainFamily(_ entry: Held) -> Bool {
        guard let (missing, pool) = secondFamily(of: entry) else { return false }
        return spaces[pool].inUse(missing) < spaces[pool].capacity(missing)
    }

    /// The family a held PreferDualStack service of two families lacks, and its pool, when it holds one address
    /// and requests none.
    private func secondFamily(of entry: Held) -> (family: IPFamily, pool: Int)? {
        guard entry.request.ipFamilyPolicy == .preferDualStack,
            entry.request.requestedAddresses.isEmpty, entry.assignment.addresses.count == 1,
            let pool = index(ofPool: entry.assignment.pool)
        else { return nil }
        let families = entry.request.distinctFamilies
        let holding = entry.assignment.addresses[0].family
        guard families.count == 2, let missing = families.first(where: { $0 != holding }) else { return nil }
        return (missing, pool)
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
            .first { conflict(sharing: $0, inPool: pool, with: request) == nil }
    }
}
