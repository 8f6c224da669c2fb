/// A message that cannot be accepted: the NOTIFICATION to send before closing the session (RFC 4271 section 6,
/// RFC 7606 "session reset"), with a human-readable detail for logs.
package struct BGPDecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kinds of error the decoder raises, each mapping to one code/subcode of RFC 4271 section 4.5.
    package enum Kind: Hashable, Sendable {
        /// 1/1: the marker is not all ones (section 6.1).
        case connectionNotSynchronized
        /// 1/2: the length field is out of bounds; data is the length field (section 6.1).
        case badMessageLength(UInt16)
        /// 1/3: an unknown type; data is the type octet (section 6.1).
        case badMessageType(UInt8)
        /// 2/1: data is the largest supported version (section 6.2).
        case unsupportedVersion
        /// 2/2: the peer's AS fields disagree (RFC 6793 section 4.1: My AS against the 4-octet AS capability).
        case badPeerAS
        /// 2/3.
        case badBGPIdentifier
        /// 2/4.
        case unsupportedOptionalParameter
        /// 2/6.
        case unacceptableHoldTime
        /// 2/0: an OPEN whose parameters do not add up (RFC 4271 leaves the subcode unspecific).
        case malformedOpen
        /// 3/1: attribute list or field lengths inconsistent (RFC 7606 section 4 cases that allow no recovery).
        case malformedAttributeList
        /// 3/2: an unrecognized well-known attribute; data is the attribute (section 6.3).
        case unrecognizedWellKnownAttribute([UInt8])
        /// 3/10: the NLRI field cannot be parsed (RFC 7606 section 5.3).
        case invalidNetworkField
        /// 3/9: MP_REACH_NLRI or MP_UNREACH_NLRI malformed (RFC 7606 section 7.11).
        case optionalAttributeError([UInt8])
    }

    package var kind: Kind
    package var detail: String

    package init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// The NOTIFICATION that reports this error to the peer.
    package var notification: BGPNotification {
        typealias C = BGPNotification.Code
        switch kind {
        case .connectionNotSynchronized: return BGPNotification(code: C.messageHeader, subcode: 1)
        case .badMessageLength(let length):
            return BGPNotification(code: C.messageHeader, subcode: 2, data: [UInt8(length >> 8), UInt8(length & 0xFF)])
        case .badMessageType(let type): return BGPNotification(code: C.messageHeader, subcode: 3, data: [type])
        case .unsupportedVersion: return BGPNotification(code: C.openMessage, subcode: 1, data: [0, 4])
        case .badPeerAS: return BGPNotification(code: C.openMessage, subcode: 2)
        case .badBGPIdentifier: return BGPNotification(code: C.openMessage, subcode: 3)
        case .unsupportedOptionalParameter: return BGPNotification(code: C.openMessage, subcode: 4)
        case .unacceptableHoldTime: return BGPNotification(code: C.openMessage, subcode: 6)
        case .malformedOpen: return BGPNotification(code: C.openMessage, subcode: 0)
        case .malformedAttributeList: return BGPNotification(code: C.updateMessage, subcode: 1)
        case .unrecognizedWellKnownAttribute(let data):
            return BGPNotification(code: C.updateMessage, subcode: 2, data: data)
        case .invalidNetworkField: return BGPNotification(code: C.updateMessage, subcode: 10)
        case .optionalAttributeError(let data): return BGPNotification(code: C.updateMessage, subcode: 9, data: data)
        }
    }

    package var description: String { "\(notification): \(detail)" }
}
