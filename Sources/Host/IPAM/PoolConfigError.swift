import HeraldCore

/// Why a set of pools cannot be used. Lists every problem found; a rejected set is never partly applied.
public struct PoolConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// One thing wrong with the pools.
    public enum Problem: Hashable, Sendable, CustomStringConvertible {
        case emptyName
        case duplicateName(String)
        case noRanges(pool: String)
        /// `range` of `pool` overlaps `otherRange` of `otherPool` (which may be the same pool).
        case overlap(pool: String, range: IPRange, otherPool: String, otherRange: IPRange)

        public var description: String {
            switch self {
            case .emptyName:
                return "a pool has an empty name"
            case .duplicateName(let name):
                return "two pools are named \"\(name)\""
            case .noRanges(let pool):
                return "pool \"\(pool)\" has no addresses"
            case .overlap(let pool, let range, let otherPool, let otherRange) where pool == otherPool:
                return "pool \"\(pool)\" lists overlapping ranges \(otherRange) and \(range)"
            case .overlap(let pool, let range, let otherPool, let otherRange):
                return "range \(range) of pool \"\(pool)\" overlaps range \(otherRange) of pool \"\(otherPool)\""
            }
        }
    }

    public let problems: [Problem]

    public init(problems: [Problem]) { self.problems = problems }

    public var description: String {
        "invalid address pools: " + problems.map(\.description).joined(separator: "; ")
    }

    /// Every problem of `pools`, in a stable order; empty when they are usable.
    public static func problems(in pools: [Pool]) -> [Problem] {
        var problems: [Problem] = []
        var names: Set<String> = []
        for pool in pools {
            if pool.name.isEmpty { problems.append(.emptyName) }
            if !names.insert(pool.name).inserted { problems.append(.duplicateName(pool.name)) }
            if pool.ranges.isEmpty { problems.append(.noRanges(pool: pool.name)) }
        }
        // O(n log n): sorted by first address, each range is compared with the furthest-reaching one before it.
        let all = pools.flatMap { pool in pool.ranges.map { (pool: pool.name, range: $0) } }
        for overlap in RangeOverlaps.find(all.map(\.range)) {
            let (earlier, later) = (all[overlap.earlier], all[overlap.later])
            problems.append(
                .overlap(pool: later.pool, range: later.range, otherPool: earlier.pool, otherRange: earlier.range))
        }
        return problems
    }
}
