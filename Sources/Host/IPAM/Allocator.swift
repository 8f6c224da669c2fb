import HeraldCore

/// Assigns external addresses to Services from address pools, with MetalLB's rules and its known bugs fixed. A value:
/// no I/O, no clock, no shared state; copy it to try something out.
///
/// Rules: a service that requests addresses gets exactly those (all in one pool it may use, shareable with their
/// holders); one that names a pool gets the lowest free address of that pool; otherwise pools are tried in order
/// (pools whose `serviceAllocation` matches the service before pools without one; then priority, lower first and
/// unset last; then name), skipping `autoAssign: false` pools and pools whose `serviceAllocation` does not match.
/// Services with the same sharing key, the same backend and no common (protocol, port) share an address; in a pool
/// with `SharingScope.namespace`, only services of one namespace do. No error names another service's key. A service
/// keeps its addresses as long as they fit its request; a PreferDualStack service that holds one address gains one
/// of its other family from the same pool as soon as that pool has one.
///
/// Start-up: build it with `restoring(_:pools:)` from every Service whose status holds addresses, then `allocate(_:)`
/// each Service (restored ones keep their addresses). Afterwards call `allocate(_:)` on every change of a Service,
/// `release(_:)` when it goes away or stops being a LoadBalancer, and `setPools(_:)` on a configuration change.
/// Failed requests are kept as pending; `release` and `setPools` say when to call `retryPending()`, and `setPools`
/// lists the services to `allocate` again because their pool gained their other family.
public struct Allocator: Sendable {
    /// What a service holds, and the request it holds it under. A class, immutable: the tables move 8-byte
    /// references when they grow, not whole requests, and copies of the allocator still never share a change.
    final class Held: Sendable {
        let request: ServiceRequest
        let assignment: Assignment

        init(request: ServiceRequest, assignment: Assignment) {
            self.request = request
            self.assignment = assignment
        }
    }

    struct Waiting: Sendable {
        var request: ServiceRequest
        var error: AllocationError
    }

    /// Pools in the order they are tried: with a `serviceAllocation` first, then priority (lower first, unset last),
    /// then name.
    var spaces: [PoolSpace]
    private let spaceIndex: [String: Int]
    /// Change it through ``hold(_:_:)`` and ``drop(_:)`` only: they keep `servicesPerPool` in step.
    private(set) var held: [ServiceID: Held] = [:]
    /// How many services hold addresses of each pool, by index in `spaces`: kept as services come and go, so that
    /// ``statistics()`` reads the pools only, not every service.
    private var servicesPerPool: [Int]
    /// The services holding each address, sorted. An address is here exactly when its pool space has it taken.
    var holders: [IPAddress: HolderList] = [:]
    /// Held addresses by the sharing key of their holders (all holders of an address have the same key).
    var keyed: [String: Set<IPAddress>] = [:]
    var waiting: [ServiceID: Waiting] = [:]

    /// Takes `pools` after checking them; throws every problem found.
    public init(pools: [Pool]) throws(PoolConfigError) {
        let problems = PoolConfigError.problems(in: pools)
        guard problems.isEmpty else { throw PoolConfigError(problems: problems) }
        spaces = pools.map(PoolSpace.init).sorted { $0.order < $1.order }
        spaceIndex = Dictionary(uniqueKeysWithValues: spaces.enumerated().map { ($1.name, $0) })
        servicesPerPool = Array(repeating: 0, count: spaces.count)
    }

    /// Records what `service` holds now (nil: nothing), keeping the per-pool counts.
    mutating func hold(_ service: ServiceID, _ entry: Held?) {
        let old: Held?
        if let entry {
            old = held.updateValue(entry, forKey: service)
            if let pool = spaceIndex[entry.assignment.pool] { servicesPerPool[pool] += 1 }
        } else {
            old = held.removeValue(forKey: service)
        }
        if let old, let pool = spaceIndex[old.assignment.pool] { servicesPerPool[pool] -= 1 }
    }

    /// Reserves room for `count` services.
    mutating func reserveHeld(_ count: Int) { held.reserveCapacity(count) }

    /// The pools, in the order they are tried.
    public var pools: [Pool] { spaces.map(\.pool) }

    /// What the service holds, if anything.
    public func assignment(for service: ServiceID) -> Assignment? { held[service]?.assignment }

    /// Every service that holds addresses.
    public var assignments: [ServiceID: Assignment] { held.mapValues(\.assignment) }

    /// The latest request of a service the allocator knows (holding addresses or pending), as given.
    public func request(for service: ServiceID) -> ServiceRequest? {
        held[service]?.request ?? waiting[service]?.request
    }

    /// Every service the allocator knows: the ones holding addresses and the pending ones (never both).
    public var services: [ServiceID] { Array(held.keys) + waiting.keys }

    /// How many services the allocator knows.
    public var serviceCount: Int { held.count + waiting.count }

    /// The services holding `address`, sorted; more than one when they share it.
    public func services(holding address: IPAddress) -> [ServiceID] { holders[address]?.services ?? [] }

    /// Services that asked for an address and got none, with the latest reason.
    public var pending: [ServiceID: AllocationError] { waiting.mapValues(\.error) }

    /// The pool that can hand out `address`, if any.
    public func pool(containing address: IPAddress) -> String? {
        poolIndex(containing: address).map { spaces[$0].name }
    }

    func poolIndex(containing address: IPAddress) -> Int? { spaces.firstIndex { $0.isUsable(address) } }

    func index(ofPool name: String) -> Int? { spaceIndex[name] }

    /// Per-pool usage, in pool order. O(pools): the counts are kept as services come and go.
    public func statistics() -> [PoolStatistics] {
        spaces.enumerated().map { index, space in
            let families = IPFamily.allCases.filter { space.pool.serves($0) }
            return PoolStatistics(
                pool: space.name,
                usage: Dictionary(
                    uniqueKeysWithValues: families.map {
                        ($0, PoolStatistics.Usage(total: space.capacity($0), inUse: space.inUse($0)))
                    }
                ),
                services: servicesPerPool[index]
            )
        }
    }
}
