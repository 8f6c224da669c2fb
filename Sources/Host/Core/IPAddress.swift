/// The address family of an IP address.
public enum IPFamily: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case ipv4 = "IPv4"
    case ipv6 = "IPv6"

    /// The number of bits in an address of this family.
    public var bitWidth: Int { self == .ipv4 ? 32 : 128 }
    public var description: String { rawValue }
}

/// An IPv4 or IPv6 address. IPv4 sorts before IPv6.
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses an IPv4 or IPv6 address (inlinable, as the IPv4 parser is).
    @inlinable
    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public var family: IPFamily {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// The address as an unsigned integer in its family's width (IPv4 in the low 32 bits).
    public var integer: UInt128 {
        switch self {
        case .v4(let a): UInt128(a.value)
        case .v6(let a): a.value
        }
    }

    /// Makes an address of `family` from an integer; the value must fit the family's width.
    public init(family: IPFamily, integer: UInt128) {
        switch family {
        case .ipv4: self = .v4(IPv4Address(UInt32(truncatingIfNeeded: integer)))
        case .ipv6: self = .v6(IPv6Address(integer))
        }
    }

    /// Network-order bytes: 4 for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a): a.bytes
        case .v6(let a): a.bytes
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}
