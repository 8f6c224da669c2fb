/// A Service's `spec.ipFamilyPolicy`.
public enum IPFamilyPolicy: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// One address, of the Service's primary family (its first ClusterIP).
    case singleStack = "SingleStack"
    /// One address of each of the Service's families when one pool can serve them all, otherwise one of the primary
    /// family, or of the other when no pool has the primary one left; the missing family is added later, from the
    /// same pool, when that pool has an address of it.
    case preferDualStack = "PreferDualStack"
    /// One address of each family, both from one pool, or nothing.
    case requireDualStack = "RequireDualStack"

    public var description: String { rawValue }
}
