import HeraldCore

/// A pool with the free addresses of each of its ranges.
struct PoolSpace: Sendable {
    let pool: Pool
    private(set) var ranges: [RangeSpace]

    init(_ pool: Pool) {
        self.pool = pool
        ranges = pool.ranges.map { RangeSpace(range: $0, avoidBuggyIPs: pool.avoidBuggyIPs) }
    }

    var name: String { pool.name }

    /// The pool's position among pools: pools with a `serviceAllocation` before those without (a service tries the
    /// pools reserved for it before the open ones, as in MetalLB), then priority (lower first, unset last), then
    /// name. A reserved pool that does not match the service is skipped, wherever it sorts.
    var order: (Int, Int, Int, String) {
        let allocation = pool.serviceAllocation
        let priority = allocation?.priority
        return (allocation == nil ? 1 : 0, priority == nil ? 1 : 0, priority ?? 0, pool.name)
    }

    func isUsable(_ address: IPAddress) -> Bool { ranges.contains { $0.isUsable(address) } }

    func isFree(_ address: IPAddress) -> Bool { ranges.contains { $0.isFree(address) } }

    func capacity(_ family: IPFamily) -> UInt128 {
        ranges.reduce(0) { $1.family == family ? $0.addingSaturated($1.capacity) : $0 }
    }

    func inUse(_ family: IPFamily) -> UInt128 { ranges.reduce(0) { $1.family == family ? $0 + $1.inUse : $0 } }

    /// Takes `address`; false when it is not usable in this pool or already taken.
    mutating func take(_ address: IPAddress) -> Bool {
        guard let at = ranges.firstIndex(where: { $0.isUsable(address) }) else { return false }
        return ranges[at].take(address)
    }

    /// Takes the lowest free address of `family`, trying the ranges in their configured order.
    mutating func takeLowest(_ family: IPFamily) -> IPAddress? {
        for at in ranges.indices where ranges[at].family == family {
            if let address = ranges[at].takeLowest() { return address }
        }
        return nil
    }

    mutating func release(_ address: IPAddress) {
        guard let at = ranges.firstIndex(where: { $0.isUsable(address) }) else {
            preconditionFailure("\(address) is not in pool \(pool.name)")
        }
        ranges[at].release(address)
    }
}

extension UInt128 {
    /// `self + other`, or `.max` when that does not fit.
    func addingSaturated(_ other: UInt128) -> UInt128 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
