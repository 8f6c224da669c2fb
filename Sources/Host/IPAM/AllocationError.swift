import HeraldCore

/// Why a service got no address, in words an operator can act on. `code` is stable (for Kubernetes Event reasons
/// and metrics labels); `description` is the message.
public struct AllocationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable name for the kind of failure, fit for a Kubernetes Event reason or a metrics label.
    public enum Code: String, Hashable, Sendable, CaseIterable {
        case noMatchingPool = "NoMatchingPool"
        case poolExhausted = "PoolExhausted"
        case addressTaken = "AddressTaken"
        case addressNotInPool = "AddressNotInPool"
        case familyMismatch = "FamilyMismatch"
        case poolNotFound = "PoolNotFound"
        case poolNotAllowed = "PoolNotAllowed"
    }

    /// What went wrong, with the values an operator needs.
    public enum Reason: Hashable, Sendable {
        /// The request lists no IP family (a Service of type LoadBalancer always has a ClusterIP).
        case noClusterIPFamily
        /// `RequireDualStack`, but the ClusterIPs are of these families only.
        case dualStackUnavailable(families: [IPFamily])
        /// The requested (or restored) addresses do not fit the family policy.
        case addressFamilies(addresses: [IPAddress], policy: IPFamilyPolicy, families: [IPFamily])
        /// The `address-pool` annotation names no configured pool.
        case poolNotFound(String)
        /// Every pool was tried; why each could not serve.
        case noPoolAvailable([PoolVerdict])
        /// A requested address is in no pool; `leftOutBy` names a pool that leaves it out with `avoidBuggyIPs`.
        case addressNotInAnyPool(IPAddress, leftOutBy: String?)
        /// The requested addresses come from different pools; they must all come from one.
        case addressesInDifferentPools([IPAddress: String])
        case addressNotInRequestedPool(IPAddress, pool: String, requested: String)
        /// The pool's `serviceAllocation` does not match the service.
        case poolReserved(pool: String, reservedFor: String)
        /// A requested address is held by a service it cannot be shared with.
        case addressTaken(IPAddress, SharingConflict)
        /// On restore: the addresses in the Service's status are not the ones it requests.
        case statusDiffersFromRequest(held: [IPAddress], requested: [IPAddress])
    }

    /// The service that got nothing.
    public let service: ServiceID
    public let reason: Reason

    public init(service: ServiceID, reason: Reason) {
        self.service = service
        self.reason = reason
    }

    /// The kind of failure; an exhausted pool among the tried ones makes it `poolExhausted`.
    public var code: Code {
        switch reason {
        case .noClusterIPFamily, .dualStackUnavailable, .addressFamilies: .familyMismatch
        case .poolNotFound: .poolNotFound
        case .noPoolAvailable(let verdicts): verdicts.contains { $0.isExhaustion } ? .poolExhausted : .noMatchingPool
        case .addressNotInAnyPool, .addressNotInRequestedPool, .addressesInDifferentPools, .statusDiffersFromRequest:
            .addressNotInPool
        case .poolReserved: .poolNotAllowed
        case .addressTaken: .addressTaken
        }
    }

    public var description: String { "\(service): \(detail)" }

    /// The message without the service's name, for an Event on the Service itself.
    public var detail: String {
        switch reason {
        case .noClusterIPFamily:
            return "the service has no ClusterIP family to take an address family from"
        case .dualStackUnavailable(let families):
            return "ipFamilyPolicy RequireDualStack, but the service's ClusterIPs are \(list(families)) only"
        case .addressFamilies(let addresses, let policy, let families):
            return "requested \(list(addresses)) does not fit ipFamilyPolicy \(policy) with ClusterIP families "
                + "\(list(families)); request one address of each family the service needs"
        case .poolNotFound(let name):
            return "the address-pool annotation names pool \"\(name)\", which does not exist"
        case .noPoolAvailable(let verdicts):
            return noPoolDetail(verdicts)
        case .addressNotInAnyPool(let address, let pool?):
            return "requested \(address) ends in .0 or .255, which pool \"\(pool)\" leaves out (avoidBuggyIPs)"
        case .addressNotInAnyPool(let address, nil):
            return "requested \(address) is in no address pool; add it to a pool or request another address"
        case .addressesInDifferentPools(let pools):
            let parts = pools.sorted { $0.key < $1.key }.map { "\($0.key) in \"\($0.value)\"" }
            return "requested addresses come from different pools (\(parts.joined(separator: ", "))); "
                + "they must all come from one pool"
        case .addressNotInRequestedPool(let address, let pool, let requested):
            return "requested \(address) is in pool \"\(pool)\", not in the requested pool \"\(requested)\""
        case .poolReserved(let pool, let reservedFor):
            return "pool \"\(pool)\" is reserved by its serviceAllocation for \(reservedFor)"
        case .addressTaken(let address, let conflict):
            return "requested \(address) cannot be assigned: \(conflict)"
        case .statusDiffersFromRequest(let held, let requested):
            return "status holds \(list(held)) but the service requests \(list(requested))"
        }
    }

    private func noPoolDetail(_ verdicts: [PoolVerdict]) -> String {
        if verdicts.isEmpty { return "no address pool is configured" }
        let exhausted = verdicts.filter(\.isExhaustion).map(\.description).joined(separator: "; ")
        let others = verdicts.filter { !$0.isExhaustion }.map(\.description).joined(separator: "; ")
        if exhausted.isEmpty { return "no address pool can serve it: \(others)" }
        return "\(exhausted); free an address or add a range" + (others.isEmpty ? "" : " (other pools: \(others))")
    }

    private func list(_ items: [some CustomStringConvertible]) -> String {
        items.map(\.description).joined(separator: ", ")
    }
}
