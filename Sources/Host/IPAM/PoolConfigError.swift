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
        // Sorted by lower bound, a range overlaps an earlier one exactly when it starts before the furthest end so far.
        let all = pools.flatMap { pool in pool.ranges.map { (pool: pool.name, range: $0) } }
            .sorted { ($0.range.lower, $0.range.upper) < ($1.range.lower, $1.range.upper) }
        var furthest: (pool: String, range: IPRange)?
        for entry in all {
            if let previous = furthest, previous.range.overlaps(entry.range) {
                problems.append(
                    .overlap(pool: entry.pool, range: entry.range, otherPool: previous.pool, otherRange: previous.range)
                )
            }
            if furthest.map({ $0.range.family != entry.range.family || $0.range.upper < entry.range.upper }) ?? true {
                furthest = entry
            }
        }
        return problems
    }
}
