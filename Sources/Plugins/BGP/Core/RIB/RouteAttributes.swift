/// What an announcement asks for beyond its prefix: the per-advertisement attributes of the host's
/// `attributes_json` once validated.
package struct RouteAttributes: Hashable, Sendable {
    package var communities: [Community]
    package var largeCommunities: [LargeCommunity]
    /// LOCAL_PREF; sent to iBGP peers only (RFC 4271 section 5.1.5).
    package var localPreference: UInt32?
    /// MULTI_EXIT_DISC (RFC 4271 section 5.1.4).
    package var med: UInt32?

    package init(
        communities: [Community] = [], largeCommunities: [LargeCommunity] = [], localPreference: UInt32? = nil,
        med: UInt32? = nil
    ) {
        self.communities = communities
        self.largeCommunities = largeCommunities
        self.localPreference = localPreference
        self.med = med
    }
}
