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
        let freed = drop(service)
        guard !freed.isEmpty else { return ReleaseOutcome(freed: [], retry: []) }
        // A freed address helps only services that found their pools full or their requested address taken.
        let helped = waiting.filter { [.poolExhausted, .addressTaken].contains($0.value.error.code) }
        return ReleaseOutcome(freed: freed, retry: helped.keys.sorted())
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
        held.reserveCapacity(services)
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
