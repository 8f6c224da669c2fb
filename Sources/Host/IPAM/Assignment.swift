import HeraldCore

/// The addresses a service holds and the pool they come from (for the `ip-allocated-from-pool` annotation).
/// Addresses are in the order of the service's families, primary first.
public struct Assignment: Hashable, Sendable, CustomStringConvertible {
    /// The pool the addresses come from.
    public let pool: String
    public let addresses: [IPAddress]

    public init(pool: String, addresses: [IPAddress]) {
        self.pool = pool
        self.addresses = addresses
    }

    public var description: String {
        addresses.map(\.description).joined(separator: ",") + " from pool \"\(pool)\""
    }
}

/// A service's addresses as its `status.loadBalancer.ingress` shows them, to be re-registered on start.
public struct ExistingAssignment: Hashable, Sendable {
    public var request: ServiceRequest
    public var addresses: [IPAddress]

    public init(request: ServiceRequest, addresses: [IPAddress]) {
        self.request = request
        self.addresses = addresses
    }
}

/// What `Allocator.restore(_:)` did.
public struct RestoreReport: Hashable, Sendable {
    /// Services that keep the addresses of their status.
    public var restored: [ServiceID: Assignment] = [:]
    /// Services whose status cannot be kept, and why; they are pending and need `allocate` (or `retryPending`).
    public var rejected: [ServiceID: AllocationError] = [:]
}

/// What `Allocator.release(_:)` did.
public struct ReleaseOutcome: Hashable, Sendable {
    /// Addresses no service holds any more.
    public var freed: [IPAddress]
    /// Pending services worth retrying now that the service's addresses are free or have one holder less (see
    /// `Allocator.pending(helpedBy:)`), in the order to retry them.
    public var retry: [ServiceID]
}

/// What `Allocator.setPools(_:)` did.
public struct PoolChange: Hashable, Sendable {
    /// Services that lost their addresses (no current pool holds them, or their pool no longer admits the service);
    /// they are pending and need a new address.
    public var displaced: [ServiceID: AllocationError] = [:]
    /// Services that keep their addresses under another pool name: their `ip-allocated-from-pool` annotation changes.
    public var moved: [ServiceID: Assignment] = [:]
    /// Pending services worth retrying under the new pools, displaced ones included, in the order to retry them.
    public var retry: [ServiceID] = []
    /// PreferDualStack services that hold one address from a pool that now has a free address of their other family
    /// (the pool gained a range of that family, say): call `allocate` with each one's request and it gets the second
    /// address from that pool, keeping the one it holds. Sorted.
    public var gainsFamily: [ServiceID] = []
}
