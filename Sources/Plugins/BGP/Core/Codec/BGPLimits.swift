/// Hard bounds on what the codec accepts, each from the RFC that sets it.
package enum BGPLimits {
    /// The fixed header: 16 marker octets, 2 length octets, 1 type octet (RFC 4271 section 4.1).
    package static let headerLength = 19
    /// The largest message without the Extended Message capability (RFC 4271 section 4.1).
    package static let maxMessageLength = 4096
    /// The largest message once both speakers advertised Extended Message (RFC 8654 section 3).
    package static let maxExtendedMessageLength = 65535
    /// OPEN without optional parameters (RFC 4271 section 4.2).
    package static let minOpenLength = 29
    /// UPDATE with empty withdrawn routes and attributes (RFC 4271 section 4.3).
    package static let minUpdateLength = 23
    /// NOTIFICATION without data (RFC 4271 section 4.5).
    package static let minNotificationLength = 21
    /// KEEPALIVE is the header alone (RFC 4271 section 4.4).
    package static let keepaliveLength = 19
    /// ROUTE-REFRESH: header plus AFI, subtype, SAFI (RFC 2918 section 3).
    package static let routeRefreshLength = 23
}
