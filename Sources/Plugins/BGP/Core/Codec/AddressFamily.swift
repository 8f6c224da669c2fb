/// An AFI/SAFI pair (RFC 4760 section 3; AFI numbers from IANA "Address Family Numbers").
package struct AddressFamily: Hashable, Sendable, CustomStringConvertible {
    /// Address Family Identifier: 1 IPv4, 2 IPv6.
    package var afi: UInt16
    /// Subsequent Address Family Identifier: 1 unicast.
    package var safi: UInt8

    package init(afi: UInt16, safi: UInt8) {
        self.afi = afi
        self.safi = safi
    }

    package static let ipv4Unicast = AddressFamily(afi: 1, safi: 1)
    package static let ipv6Unicast = AddressFamily(afi: 2, safi: 1)

    /// The width of an address of this family in bytes, for the families the codec understands.
    package var addressWidth: Int? {
        switch afi {
        case 1: 4
        case 2: 16
        default: nil
        }
    }

    package var description: String {
        switch self {
        case .ipv4Unicast: "ipv4-unicast"
        case .ipv6Unicast: "ipv6-unicast"
        default: "afi\(afi)-safi\(safi)"
        }
    }
}
