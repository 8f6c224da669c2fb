/// How routes are exported to one peer: the session type decides AS_PATH and LOCAL_PREF, the local addresses the
/// next hops (RFC 4271 section 5.1.3: the address of the interface facing the peer).
package struct ExportPolicy: Hashable, Sendable {
    package var localASN: UInt32
    package var isInternal: Bool
    /// Next hop for IPv4 routes (4 octets), nil when there is none to give.
    package var nextHopIPv4: [UInt8]?
    /// Next hop for IPv6 routes (16 octets), nil when there is none to give.
    package var nextHopIPv6: [UInt8]?
    /// Families negotiated with the peer and configured for it.
    package var families: [AddressFamily]
    package var codec: BGPCodecOptions

    package init(
        localASN: UInt32, isInternal: Bool, nextHopIPv4: [UInt8]?, nextHopIPv6: [UInt8]?, families: [AddressFamily],
        codec: BGPCodecOptions
    ) {
        self.localASN = localASN
        self.isInternal = isInternal
        self.nextHopIPv4 = nextHopIPv4
        self.nextHopIPv6 = nextHopIPv6
        self.families = families
        self.codec = codec
    }

    package func nextHop(_ family: AddressFamily) -> [UInt8]? {
        family == .ipv4Unicast ? nextHopIPv4 : nextHopIPv6
    }

    /// Whether a prefix can be sent at all: its family is negotiated and has a next hop.
    package func exports(_ prefix: BGPPrefix) -> Bool {
        families.contains(prefix.family) && nextHop(prefix.family) != nil
    }

    /// The path attributes of a locally originated route: ORIGIN IGP; AS_PATH empty towards iBGP and this AS
    /// towards eBGP (RFC 4271 section 5.1.2); LOCAL_PREF (default 100) only towards iBGP.
    package func pathAttributes(_ route: RouteAttributes) -> PathAttributes {
        var attributes = PathAttributes()
        attributes.origin = .igp
        attributes.asPath = isInternal ? [] : [ASPathSegment(.sequence, [localASN])]
        attributes.med = route.med
        if isInternal { attributes.localPreference = route.localPreference ?? 100 }
        attributes.communities = route.communities
        attributes.largeCommunities = route.largeCommunities
        return attributes
    }
}
