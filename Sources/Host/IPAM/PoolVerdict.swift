import HeraldCore

/// Why one pool could not serve a service.
public struct PoolVerdict: Error, Hashable, Sendable, CustomStringConvertible {
    /// Why the pool was passed over.
    public enum Reason: Hashable, Sendable {
        /// The pool is `autoAssign: false` and the service did not name it.
        case autoAssignDisabled
        /// The pool's `serviceAllocation` does not match the service.
        case reserved(for: String)
        /// The pool has no usable address of this family.
        case lacksFamily(IPFamily)
        case exhausted(IPFamily, inUse: UInt128, capacity: UInt128)
    }

    public let pool: String
    public let reason: Reason

    public init(pool: String, reason: Reason) {
        self.pool = pool
        self.reason = reason
    }

    var isExhaustion: Bool {
        if case .exhausted = reason { return true }
        return false
    }

    public var description: String {
        switch reason {
        case .autoAssignDisabled:
            return "pool \"\(pool)\" has autoAssign off (name it in the address-pool annotation to use it)"
        case .reserved(let who):
            return "pool \"\(pool)\" is reserved for \(who)"
        case .lacksFamily(let family):
            return "pool \"\(pool)\" has no usable \(family) address"
        case .exhausted(let family, let inUse, let capacity):
            return "pool \"\(pool)\" is exhausted (\(inUse) of \(capacity) \(family) addresses in use)"
        }
    }
}
