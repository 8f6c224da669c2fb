import HeraldCore

/// What the host calls when Services and pools change.
extension Allocator {
    /// Gives the service of `request` its addresses: the ones it holds when they still fit the request, else new
    /// ones. On failure the service holds nothing and is pending.
    public mutating func allocate(_ request: ServiceRequest) -> Result<Assignment, AllocationError> {
        let result = resolve(request)
        switch result {
        case .success: if !waiting.isEmpty { waiting[request.id] = nil }
        case .failure(let error): waiting[request.id] = Waiting(request: request, error: error)
        }
        return result
    }

    /// Forgets the service: frees its addresses unless other services share them.
    public mutating func release(_ service: ServiceID) -> ReleaseOutcome {
        waiting[service] = nil
        let given = held[service]?.assignment.addresses ?? []
        let freed = drop(service)
        guard !given.isEmpty else { return ReleaseOutcome(freed: [], retry: []) }
        return ReleaseOutcome(freed: freed, retry: pending(helpedBy: given))
    }

    /// The pending services that `addresses`, which a service has just given up (released, or left for others),
    /// may help, sorted: those that requested one of them and found it taken (it is free now, or has one holder
    /// less to share with), and those that found the pool of one of them exhausted (when it is free now; or, for a
    /// service with a sharing key, when it is still shared). Others are left alone: one service's churn does not
    /// make every pending service try again.
    public func pending(helpedBy addresses: [IPAddress]) -> [ServiceID] {
        guard !waiting.isEmpty, !addresses.isEmpty else { return [] }
        let given = Set(addresses)
        var freedPools: Set<String> = []
        var sharedPools: Set<String> = []
        for address in given {
            guard let pool = pool(containing: address) else { continue }
            if holders[address] == nil { freedPools.insert(pool) } else { sharedPools.insert(pool) }
        }
        return waiting.compactMap { id, entry -> ServiceID? in
            switch entry.error.reason {
            case .addressTaken:
                let wanted = entry.request.requestedAddresses
                return wanted.isEmpty || wanted.contains(where: given.contains) ? id : nil
            case .noPoolAvailable(let verdicts):
                let keyed = entry.request.sharingKey != nil
                let helped = verdicts.contains {
                    $0.isExhaustion && (freedPools.contains($0.pool) || (keyed && sharedPools.contains($0.pool)))
                }
                return helped ? id : nil
            default:
                return nil
            }
        }.sorted()
    }

    /// Whether trying the pending service again can succeed now, as far as the pools' free space tells: false only
    /// for a service without a sharing key that found pools exhausted, while each of those pools still has no free
    /// address of the families it needs (after the addresses a release freed went to the services before it).
    /// True for a service that is not pending, or pending for any other reason.
    public func worthRetrying(_ service: ServiceID) -> Bool {
        guard let entry = waiting[service], entry.request.sharingKey == nil,
            case .noPoolAvailable(let verdicts) = entry.error.reason
        else { return true }
        let families = entry.request.distinctFamilies
        guard !families.isEmpty else { return true }
        for verdict in verdicts where verdict.isExhaustion {
            guard let pool = index(ofPool: verdict.pool) else { continue }
            func free(_ family: IPFamily) -> Bool { spaces[pool].inUse(family) < spaces[pool].capacity(family) }
            switch entry.request.ipFamilyPolicy {
            case .singleStack: if free(families[0]) { return true }
            case .requireDualStack: if families.allSatisfy(free) { return true }
            case .preferDualStack: if families.contains(where: free) { return true }
            }
        }
        return false
    }

    /// Tries every pending service again, in service order.
    public mutating func retryPending() -> [ServiceID: Result<Assignment, AllocationError>] {
        var results: [ServiceID: Result<Assignment, AllocationError>] = [:]
        for id in waiting.keys.sorted() {
            if let request = waiting[id]?.request { results[id] = allocate(request) }
        }
        return results
    }

    /// An allocator that already holds the addresses of `existing` (the statuses of the Services), for start-up: no
    /// request can be served before every existing assignment is back (MetalLB #1774, #2443, #2479).
    public static func restoring(
        _ existing: [ExistingAssignment],
        pools: [Pool]
    ) throws(PoolConfigError) -> (allocator: Allocator, report: RestoreReport) {
        var allocator = try Allocator(pools: pools)
        allocator.reserveCapacity(existing.count)
        let report = allocator.restore(existing)
        return (allocator, report)
    }

    /// Makes room for `services` services at once, so that the tables do not grow step by step (start-up, where
    /// the number of Services is known from the first list, and pool edits).
    public mutating func reserveCapacity(_ services: Int) {
        reserveHeld(services)
        holders.reserveCapacity(services)
    }

    /// Re-registers addresses that services already hold (their status), in the given order: where two services
    /// claim one address and cannot share it, the earlier one keeps it, so pass the oldest first. Call it before
    /// serving any new request, so that no new service takes an address an existing one holds.
    public mutating func restore(_ entries: [ExistingAssignment]) -> RestoreReport {
        var report = RestoreReport()
        for entry in entries where !entry.addresses.isEmpty {
            let id = entry.request.id
            waiting[id] = nil
            _ = drop(id)
            switch verify(entry.addresses, for: entry.request) {
            case .success(let pool):
                report.restored[id] = commit(entry.request, pool: pool, addresses: entry.addresses, takeFree: true)
            case .failure(let error):
                report.rejected[id] = error
                waiting[id] = Waiting(request: entry.request, error: error)
            }
        }
        return report
    }

    /// Replaces the pools. Services keep their addresses wherever the new pools still hold them for them; the others
    /// lose them and are reported. PreferDualStack services that hold one address in a pool that now has a free one
    /// of their other family are listed, to be allocated again. Throws, changing nothing, when the new pools are
    /// invalid.
    public mutating func setPools(_ pools: [Pool]) throws(PoolConfigError) -> PoolChange {
        var next = try Allocator(pools: pools)
        next.reserveCapacity(held.count)
        let entries = held.keys.sorted().compactMap { id in
            held[id].map { ExistingAssignment(request: $0.request, addresses: $0.assignment.addresses) }
        }
        let report = next.restore(entries)
        for (id, entry) in waiting where next.waiting[id] == nil { next.waiting[id] = entry }
        var change = PoolChange(displaced: report.rejected, retry: next.waiting.keys.sorted())
        for (id, assignment) in report.restored where held[id]?.assignment.pool != assignment.pool {
            change.moved[id] = assignment
        }
        change.gainsFamily = next.held.compactMap { next.mayGainFamily($0.value) ? $0.key : nil }.sorted()
        self = next
        return change
    }
}
