/// The states of RFC 4271 section 8.2.2.
package enum BGPState: String, Sendable, CaseIterable {
    case idle = "Idle"
    case connect = "Connect"
    case active = "Active"
    case openSent = "OpenSent"
    case openConfirm = "OpenConfirm"
    case established = "Established"

    /// The state as the BGP-4 MIB numbers it (RFC 4273 bgpPeerState), for a metric gauge.
    package var mibValue: Int {
        switch self {
        case .idle: 1
        case .connect: 2
        case .active: 3
        case .openSent: 4
        case .openConfirm: 5
        case .established: 6
        }
    }
}
