/// An address pool, as plain values: the configuration parses it from YAML, the allocator hands out its addresses.
public struct Pool: Hashable, Sendable {
    public var name: String
    /// The pool's addresses: CIDRs, `a-b` ranges or single addresses, of either family. Tried in this order.
    public var ranges: [IPRange]
    /// Whether services that name no pool and no address may get an address from this pool.
    public var autoAssign: Bool
    /// Leaves out IPv4 addresses ending in `.0` or `.255`, which some old equipment drops.
    public var avoidBuggyIPs: Bool
    /// When set, the pool serves only the services this matches, in this priority.
    public var serviceAllocation: ServiceAllocation?
    /// Which services may share one of the pool's addresses under a common `allow-shared-ip` key.
    public var sharingScope: SharingScope

    public init(
        name: String,
        ranges: [IPRange],
        autoAssign: Bool = true,
        avoidBuggyIPs: Bool = false,
        serviceAllocation: ServiceAllocation? = nil,
        sharingScope: SharingScope = .cluster
    ) {
        self.name = name
        self.ranges = ranges
        self.autoAssign = autoAssign
        self.avoidBuggyIPs = avoidBuggyIPs
        self.serviceAllocation = serviceAllocation
        self.sharingScope = sharingScope
    }

    /// Whether the pool has any range of `family` (usable or not).
    public func serves(_ family: IPFamily) -> Bool { ranges.contains { $0.family == family } }
}

/// Who may share an address under one `allow-shared-ip` key.
public enum SharingScope: String, Hashable, Sendable, CaseIterable {
    /// Any service that sets the key, in any namespace: the key itself is the permission (MetalLB's rule).
    case cluster
    /// Only services of the namespace of the address's holders; a service of another namespace is refused even with
    /// the right key.
    case namespace
}

/// Restricts a pool to some services and orders it among pools (MetalLB's `serviceAllocation`).
public struct ServiceAllocation: Hashable, Sendable, CustomStringConvertible {
    /// Lower is tried first; pools without a priority come after every pool with one.
    public var priority: Int?
    /// Namespaces whose services may use the pool. With `namespaceSelectors`, a namespace in either qualifies;
    /// with neither, every namespace does.
    public var namespaces: [String]
    public var namespaceSelectors: [LabelSelector]
    /// When not empty, a service must match one of these.
    public var serviceSelectors: [LabelSelector]

    public init(
        priority: Int? = nil,
        namespaces: [String] = [],
        namespaceSelectors: [LabelSelector] = [],
        serviceSelectors: [LabelSelector] = []
    ) {
        self.priority = priority
        self.namespaces = namespaces
        self.namespaceSelectors = namespaceSelectors
        self.serviceSelectors = serviceSelectors
    }

    /// Who the pool is reserved for, in words.
    public var description: String {
        var parts: [String] = []
        if !namespaces.isEmpty { parts.append("namespaces [\(namespaces.joined(separator: ", "))]") }
        if !namespaceSelectors.isEmpty {
            parts.append("namespaces labelled \(namespaceSelectors.map { "{\($0)}" }.joined(separator: " or "))")
        }
        if !serviceSelectors.isEmpty {
            parts.append("services labelled \(serviceSelectors.map { "{\($0)}" }.joined(separator: " or "))")
        }
        return parts.isEmpty ? "every service" : parts.joined(separator: ", ")
    }
}
