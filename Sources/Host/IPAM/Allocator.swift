import HeraldCore

/// Assigns external addresses to Services from address pools, with MetalLB's rules and its known bugs fixed. A value:
/// no I/O, no clock, no shared state; copy it to try something out.
///
/// Rules: a service that requests addresses gets exactly those (all in one pool it may use, shareable with their
/// holders); one that names a pool gets the lowest free address of that pool; otherwise pools are tried in order
/// (priority, lower first and unset last, then name), skipping `autoAssign: false` pools and pools whose
/// `serviceAllocation` does not match. Services with the same sharing key, the same backend and no common
/// (protocol, port) share an address. A service keeps its addresses as long as they fit its request.
///
/// Start-up: build it with the pools, `restore(_:)` every Service whose status holds addresses, then `allocate(_:)`
/// each Service (a no-op for restored ones). Afterwards call `allocate(_:)` on every change of a Service, `release(_:)`
/// when it goes away or stops being a LoadBalancer, and `setPools(_:)` on a configuration change. Failed requests are
/// kept as pending; `release` and `setPools` say when to call `retryPending()`.
public struct Allocator: Sendable {
    struct Held: Sendable {
        var request: ServiceRequest
        var assignment: Assignment
    }

    struct Waiting: Sendable {
        var request: ServiceRequest
        var error: AllocationError
    }

    /// Pools in the order they are tried: priority (lower first, unset last), then name.
    private(set) var spaces: [PoolSpace]
    private let spaceIndex: [String: Int]
    private(set) var held: [ServiceID: Held] = [:]
    /// The services holding each address, sorted. An address is here exactly when its pool space has it taken.
    private(set) var holders: [IPAddress: [ServiceID]] = [:]
    /// Held addresses by the sharing key of their holders (all holders of an address have the same key).
    private var keyed: [String: Set<IPAddress>] = [:]
    private var waiting: [ServiceID: Waiting] = [:]

    /// Takes `pools` after checking them; throws every problem found.
    public init(pools: [Pool]) throws(PoolConfigError) {
        let problems = PoolConfigError.problems(in: pools)
        guard problems.isEmpty else { throw PoolConfigError(problems: problems) }
        spaces = pools.map(PoolSpace.init).sorted { $0.order < $1.order }
        spaceIndex = Dictionary(uniqueKeysWithValues: spaces.enumerated().map { ($1.name, $0) })
    }

    // MARK: Reading

    /// The pools, in the order they are tried.
    public var pools: [Pool] { spaces.map(\.pool) }

    public func assignment(for service: ServiceID) -> Assignment? { held[service]?.assignment }

    /// Every service that holds addresses.
    public var assignments: [ServiceID: Assignment] { held.mapValues(\.assignment) }

    /// The services holding `address`, sorted; more than one when they share it.
    public func services(holding address: IPAddress) -> [ServiceID] { holders[address] ?? [] }

    /// Services that asked for an address and got none, with the latest reason.
    public var pending: [ServiceID: AllocationError] { waiting.mapValues(\.error) }

    /// The pool that can hand out `address`, if any.
    public func pool(containing address: IPAddress) -> String? {
        poolIndex(containing: address).map { spaces[$0].name }
    }

    func poolIndex(containing address: IPAddress) -> Int? { spaces.firstIndex { $0.isUsable(address) } }

    func index(ofPool name: String) -> Int? { spaceIndex[name] }

    /// Per-pool usage, in pool order.
    public func statistics() -> [PoolStatistics] {
        var services: [String: Int] = [:]
        for entry in held.values { services[entry.assignment.pool, default: 0] += 1 }
        return spaces.map { space in
            let families = IPFamily.allCases.filter { space.pool.serves($0) }
            return PoolStatistics(
                pool: space.name,
                usage: Dictionary(
                    uniqueKeysWithValues: families.map {
                        ($0, PoolStatistics.Usage(total: space.capacity($0), inUse: space.inUse($0)))
                    }
                ),
                services: services[space.name] ?? 0
            )
        }
    }

    // MARK: Changing

    /// Gives the service of `request` its addresses: the ones it holds when they still fit the request, else new
    /// ones. On failure the service holds nothing and is pending.
    public mutating func allocate(_ request: ServiceRequest) -> Result<Assignment, AllocationError> {
        let result = resolve(request)
        switch result {
        case .success: waiting[request.id] = nil
        case .failure(let error): waiting[request.id] = Waiting(request: request, error: error)
        }
        return result
    }

    /// Forgets the service: frees its addresses unless other services share them.
    public mutating func release(_ service: ServiceID) -> ReleaseOutcome {
        waiting[service] = nil
        let freed = drop(service)
        return ReleaseOutcome(freed: freed, retry: freed.isEmpty ? [] : waiting.keys.sorted())
    }

    /// Tries every pending service again, in service order.
    public mutating func retryPending() -> [ServiceID: Result<Assignment, AllocationError>] {
        var results: [ServiceID: Result<Assignment, AllocationError>] = [:]
        for id in waiting.keys.sorted() {
            if let request = waiting[id]?.request { results[id] = allocate(request) }
        }
        return results
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
    /// lose them and are reported. Throws, changing nothing, when the new pools are invalid.
    public mutating func setPools(_ pools: [Pool]) throws(PoolConfigError) -> PoolChange {
        var next = try Allocator(pools: pools)
        let entries = held.keys.sorted().compactMap { id in
            held[id].map { ExistingAssignment(request: $0.request, addresses: $0.assignment.addresses) }
        }
        let report = next.restore(entries)
        for (id, entry) in waiting where next.waiting[id] == nil { next.waiting[id] = entry }
        var change = PoolChange(displaced: report.rejected, retry: next.waiting.keys.sorted())
        for (id, assignment) in report.restored where held[id]?.assignment.pool != assignment.pool {
            change.moved[id] = assignment
        }
        self = next
        return change
    }

    // MARK: Bookkeeping

    /// Records that the service of `request` holds `addresses` of pool `pool`. With `takeFree`, addresses no one
    /// holds are taken from the pool space here; without it, the caller has taken them.
    mutating func commit(_ request: ServiceRequest, pool: Int, addresses: [IPAddress], takeFree: Bool) -> Assignment {
        let sorted = request.ordered(addresses)
        for address in sorted {
            if holders[address] == nil && takeFree {
                let taken = spaces[pool].take(address)
                precondition(taken, "\(address) is held by no service but not free")
            }
            holders[address, default: []].append(request.id)
            holders[address]?.sort()
            if let key = request.sharingKey { keyed[key, default: []].insert(address) }
        }
        let assignment = Assignment(pool: spaces[pool].name, addresses: sorted)
        held[request.id] = Held(request: request, assignment: assignment)
        return assignment
    }

    /// Forgets what the service holds; returns the addresses that no one holds any more.
    mutating func drop(_ service: ServiceID) -> [IPAddress] {
        guard let entry = held.removeValue(forKey: service), let pool = spaceIndex[entry.assignment.pool] else {
            return []
        }
        var freed: [IPAddress] = []
        for address in entry.assignment.addresses {
            holders[address]?.removeAll { $0 == service }
            guard holders[address]?.isEmpty ?? true else { continue }
            holders[address] = nil
            spaces[pool].release(address)
            if let key = entry.request.sharingKey { keyed[key]?.remove(address) }
            freed.append(address)
        }
        return freed
    }

    /// Keeps the service's addresses under a changed request that still fits them (a sole holder may change its
    /// sharing key, for instance).
    mutating func update(_ request: ServiceRequest) {
        guard let old = held[request.id] else { return }
        if old.request.sharingKey != request.sharingKey {
            for address in old.assignment.addresses {
                if let key = old.request.sharingKey { keyed[key]?.remove(address) }
                if let key = request.sharingKey { keyed[key, default: []].insert(address) }
            }
        }
        // The families' order decides the addresses' order (primary first).
        let addresses = request.ordered(old.assignment.addresses)
        held[request.id] = Held(
            request: request,
            assignment: Assignment(pool: old.assignment.pool, addresses: addresses)
        )
    }

    /// Addresses held under `key`.
    func addresses(sharedUnder key: String) -> Set<IPAddress> { keyed[key] ?? [] }

    mutating func takeLowest(_ family: IPFamily, inPool pool: Int) -> IPAddress? { spaces[pool].takeLowest(family) }

    mutating func giveBack(_ address: IPAddress, toPool pool: Int) { spaces[pool].release(address) }
}
