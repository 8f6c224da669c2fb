/// A BGP-4 message (RFC 4271 section 4) and ROUTE-REFRESH (RFC 2918).
package enum BGPMessage: Hashable, Sendable {
    case open(BGPOpen)
    case update(BGPUpdate)
    case notification(BGPNotification)
    case keepalive
    case routeRefresh(BGPRouteRefresh)

    /// Message type codes (RFC 4271 section 4.1, RFC 2918 section 3).
    package enum TypeCode {
        package static let open: UInt8 = 1
        package static let update: UInt8 = 2
        package static let notification: UInt8 = 3
        package static let keepalive: UInt8 = 4
        package static let routeRefresh: UInt8 = 5
    }

    package var typeCode: UInt8 {
        switch self {
        case .open: TypeCode.open
        case .update: TypeCode.update
        case .notification: TypeCode.notification
        case .keepalive: TypeCode.keepalive
        case .routeRefresh: TypeCode.routeRefresh
        }
    }

    /// The message with its header: 16 marker octets of all ones, the total length, the type (RFC 4271 section 4.1).
    package func encoded(_ options: BGPCodecOptions = BGPCodecOptions()) -> [UInt8] {
        var out = [UInt8](repeating: 0xFF, count: 16)
        out.append(contentsOf: [0, 0, typeCode])
        switch self {
        case .open(let open): open.encodeBody(into: &out)
        case .update(let update): update.encodeBody(fourOctetAS: options.fourOctetAS, into: &out)
        case .notification(let notification): notification.encodeBody(into: &out)
        case .keepalive: break
        case .routeRefresh(let refresh): refresh.encodeBody(into: &out)
        }
        // Callers keep messages within the negotiated size (UpdatePacker does); the field never traps regardless.
        out[16] = UInt8(truncatingIfNeeded: out.count >> 8)
        out[17] = UInt8(truncatingIfNeeded: out.count)
        return out
    }

    /// Decodes one framed message (see `BGPFramer`). Throws the NOTIFICATION to send for errors that reset the
    /// session; an UPDATE's recoverable errors are reported in its `errors` instead (RFC 7606).
    package static func decode(
        _ frame: BGPFrame, _ options: BGPCodecOptions = BGPCodecOptions()
    )
        throws(BGPDecodeError) -> BGPMessage
    {
        let body = frame.body[...]
        switch frame.type {
        case TypeCode.open: return .open(try BGPOpen.decode(body))
        case TypeCode.update: return .update(try BGPUpdate.decode(body, fourOctetAS: options.fourOctetAS))
        case TypeCode.notification: return .notification(try BGPNotification.decode(body))
        case TypeCode.keepalive: return .keepalive
        case TypeCode.routeRefresh: return .routeRefresh(try BGPRouteRefresh.decode(body))
        default: throw BGPDecodeError(.badMessageType(frame.type), "message type \(frame.type)")
        }
    }
}

/// What a session negotiated that changes how messages are encoded and framed.
package struct BGPCodecOptions: Hashable, Sendable {
    /// Both speakers advertised the 4-octet AS capability: AS_PATH carries 4-octet AS numbers (RFC 6793 section 4.1).
    package var fourOctetAS: Bool
    /// 4096, or 65535 when both advertised Extended Message (RFC 8654 section 4).
    package var maxMessageLength: Int

    package init(fourOctetAS: Bool = true, maxMessageLength: Int = BGPLimits.maxMessageLength) {
        self.fourOctetAS = fourOctetAS
        self.maxMessageLength = maxMessageLength
    }
}

/// One message cut from the byte stream: its type and the octets after the header.
package struct BGPFrame: Hashable, Sendable {
    package var type: UInt8
    package var body: [UInt8]

    package init(type: UInt8, body: [UInt8]) {
        self.type = type
        self.body = body
    }
}
