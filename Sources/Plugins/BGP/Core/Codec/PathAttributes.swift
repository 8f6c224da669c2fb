/// The path attributes of an UPDATE (RFC 4271 section 5) that Herald sends or checks, plus any other optional
/// attribute kept as received.
package struct PathAttributes: Hashable, Sendable {
    /// Attribute type codes (IANA "BGP Path Attributes").
    package enum TypeCode {
        package static let origin: UInt8 = 1
        package static let asPath: UInt8 = 2
        package static let nextHop: UInt8 = 3
        package static let multiExitDisc: UInt8 = 4
        package static let localPref: UInt8 = 5
        package static let atomicAggregate: UInt8 = 6
        package static let aggregator: UInt8 = 7
        package static let communities: UInt8 = 8
        package static let mpReachNLRI: UInt8 = 14
        package static let mpUnreachNLRI: UInt8 = 15
        package static let as4Path: UInt8 = 17
        package static let as4Aggregator: UInt8 = 18
        package static let largeCommunity: UInt8 = 32
    }

    /// Attribute flag bits (RFC 4271 section 4.3).
    package enum Flag {
        package static let optional: UInt8 = 0x80
        package static let transitive: UInt8 = 0x40
        package static let partial: UInt8 = 0x20
        package static let extendedLength: UInt8 = 0x10
    }

    /// ORIGIN values (RFC 4271 section 5.1.1).
    package enum Origin: UInt8, Sendable {
        case igp = 0
        case egp = 1
        case incomplete = 2
    }

    /// MP_REACH_NLRI (RFC 4760 section 3).
    package struct MPReach: Hashable, Sendable {
        package var family: AddressFamily
        /// 4 octets for IPv4; 16, or 32 with a link-local address, for IPv6 (RFC 2545 section 3).
        package var nextHop: [UInt8]
        package var nlri: [BGPPrefix]

        package init(family: AddressFamily, nextHop: [UInt8], nlri: [BGPPrefix]) {
            self.family = family
            self.nextHop = nextHop
            self.nlri = nlri
        }
    }

    /// MP_UNREACH_NLRI (RFC 4760 section 4).
    package struct MPUnreach: Hashable, Sendable {
        package var family: AddressFamily
        package var withdrawn: [BGPPrefix]

        package init(family: AddressFamily, withdrawn: [BGPPrefix]) {
            self.family = family
            self.withdrawn = withdrawn
        }
    }

    /// An attribute this codec does not interpret, as received.
    package struct Raw: Hashable, Sendable {
        package var flags: UInt8
        package var type: UInt8
        package var value: [UInt8]

        package init(flags: UInt8, type: UInt8, value: [UInt8]) {
            self.flags = flags
            self.type = type
            self.value = value
        }
    }

    package var origin: Origin?
    package var asPath: [ASPathSegment]?
    /// NEXT_HOP for IPv4 NLRI in the UPDATE's own NLRI field (RFC 4271 section 5.1.3).
    package var nextHop: [UInt8]?
    package var med: UInt32?
    package var localPreference: UInt32?
    package var atomicAggregate = false
    package var aggregator: [UInt8]?
    package var communities: [Community] = []
    package var largeCommunities: [LargeCommunity] = []
    package var as4Path: [ASPathSegment]?
    package var as4Aggregator: [UInt8]?
    package var mpReach: MPReach?
    package var mpUnreach: MPUnreach?
    package var other: [Raw] = []

    package init() {}

    /// The flags RFC 4271 section 5 and the attributes' own RFCs assign (optional and transitive bits only).
    static func expectedFlags(_ type: UInt8) -> UInt8? {
        switch type {
        case TypeCode.origin, TypeCode.asPath, TypeCode.nextHop, TypeCode.localPref, TypeCode.atomicAggregate:
            Flag.transitive
        case TypeCode.multiExitDisc, TypeCode.mpReachNLRI, TypeCode.mpUnreachNLRI: Flag.optional
        case TypeCode.aggregator, TypeCode.communities, TypeCode.as4Path, TypeCode.as4Aggregator,
            TypeCode.largeCommunity:
            Flag.optional | Flag.transitive
        default: nil
        }
    }
}
