import HeraldCore

/// How much of a pool is used, per family.
public struct PoolStatistics: Hashable, Sendable {
    /// The usage of one family of a pool.
    public struct Usage: Hashable, Sendable {
        /// Usable addresses (saturating at `UInt128.max`).
        public var total: UInt128
        /// Addresses held by at least one service.
        public var inUse: UInt128
        public var free: UInt128 { total - inUse }

        public init(total: UInt128, inUse: UInt128) {
            self.total = total
            self.inUse = inUse
        }
    }

    public var pool: String
    /// Only the families the pool has ranges of.
    public var usage: [IPFamily: Usage]
    /// Services holding addresses of the pool.
    public var services: Int

    public init(pool: String, usage: [IPFamily: Usage], services: Int) {
        self.pool = pool
        self.usage = usage
        self.services = services
    }
}
