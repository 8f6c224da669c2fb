/// The path attributes of an UPDATE (RFC 4271 section 5) that Herald sends or checks, plus any other optional
/// attribute kept as received.
public struct PathAttributes: Hashable, Sendable {
    /// Attribute type codes (IANA "BGP Path Attributes").
    public enum TypeCode {
        public static let origin: UInt8 = 1
        public static let asPath: UInt8 = 2
        public static let nextHop: UInt8 = 3
        public static let multiExitDisc: UInt8 = 4
        public static let localPref: UInt8 = 5
        public static let atomicAggregate: UInt8 = 6
        public static let aggregator: UInt8 = 7
        public static let communities: UInt8 = 8
        public static let mpReachNLRI: UInt8 = 14
        public static let mpUnreachNLRI: UInt8 = 15
        public static let as4Path: UInt8 = 17
        public static let as4Aggregator: UInt8 = 18
        public static let largeCommunity: UInt8 = 32
    }

    /// Attribute flag bits (RFC 4271 section 4.3).
    public enum Flag {
        public static let optional: UInt8 = 0x80
        public static let transitive: UInt8 = 0x40
        public static let partial: UInt8 = 0x20
        public static let extendedLength: UInt8 = 0x10
    }

    /// ORIGIN values (RFC 4271 section 5.1.1).
    public enum Origin: UInt8, Sendable {
        case igp = 0
        case egp = 1
        case incomplete = 2
    }

    /// MP_REACH_NLRI (RFC 4760 section 3).
    public struct MPReach: Hashable, Sendable {
        public var family: AddressFamily
        /// 4 octets for IPv4; 16, or 32 with a link-local address, for IPv6 (RFC 2545 section 3).
        public var nextHop: [UInt8]
        public var nlri: [BGPPrefix]

        public init(family: AddressFamily, nextHop: [UInt8], nlri: [BGPPrefix]) {
            self.family = family
            self.nextHop = nextHop
            self.nlri = nlri
        }
    }

    /// MP_UNREACH_NLRI (RFC 4760 section 4).
    public struct MPUnreach: Hashable, Sendable {
        public var family: AddressFamily
        public var withdrawn: [BGPPrefix]

        public init(family: AddressFamily, withdrawn: [BGPPrefix]) {
            self.family = family
            self.withdrawn = withdrawn
        }
    }

    /// An attribute this codec does not interpret, as received.
    public struct Raw: Hashable, Sendable {
        public var flags: UInt8
        public var type: UInt8
        public var value: [UInt8]

        public init(flags: UInt8, type: UInt8, value: [UInt8]) {
            self.flags = flags
            self.type = type
            self.value = value
        }
    }

    public var origin: Origin?
    public var asPath: [ASPathSegment]?
    /// NEXT_HOP for IPv4 NLRI in the UPDATE's own NLRI field (RFC 4271 section 5.1.3).
    public var nextHop: [UInt8]?
    public var med: UInt32?
    public var localPreference: UInt32?
    public var atomicAggregate = false
    public var aggregator: [UInt8]?
    public var communities: [Community] = []
    public var largeCommunities: [LargeCommunity] = []
    public var as4Path: [ASPathSegment]?
    public var as4Aggregator: [UInt8]?
    public var mpReach: MPReach?
    public var mpUnreach: MPUnreach?
    public var other: [Raw] = []

    public init() {}

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
