/// A NOTIFICATION message (RFC 4271 section 4.5): an error code, a subcode and data. Sending one closes the session.
package struct BGPNotification: Hashable, Sendable, CustomStringConvertible {
    package var code: UInt8
    package var subcode: UInt8
    package var data: [UInt8]

    package init(code: UInt8, subcode: UInt8, data: [UInt8] = []) {
        self.code = code
        self.subcode = subcode
        self.data = data
    }

    /// Error codes (RFC 4271 section 4.5).
    package enum Code {
        package static let messageHeader: UInt8 = 1
        package static let openMessage: UInt8 = 2
        package static let updateMessage: UInt8 = 3
        package static let holdTimerExpired: UInt8 = 4
        package static let finiteStateMachine: UInt8 = 5
        package static let cease: UInt8 = 6
        /// RFC 7313 section 5.
        package static let routeRefresh: UInt8 = 7
    }

    /// Cease subcodes (RFC 4486 section 4).
    package enum CeaseSubcode {
        package static let administrativeShutdown: UInt8 = 2
        package static let peerDeconfigured: UInt8 = 3
        package static let administrativeReset: UInt8 = 4
        package static let connectionRejected: UInt8 = 5
        package static let otherConfigurationChange: UInt8 = 6
        package static let connectionCollisionResolution: UInt8 = 7
        package static let outOfResources: UInt8 = 8
        /// RFC 8538 section 3: a hard reset, after which a Graceful Restart peer drops the routes.
        package static let hardReset: UInt8 = 9
        /// RFC 9384: the session ended because BFD found the path down.
        package static let bfdDown: UInt8 = 10
    }

    /// A Cease with an RFC 9003 Shutdown Communication (subcodes 2 and 4): a length octet and UTF-8 text, at most
    /// 255 octets.
    package static func cease(_ subcode: UInt8, message: String = "") -> BGPNotification {
        guard subcode == CeaseSubcode.administrativeShutdown || subcode == CeaseSubcode.administrativeReset,
            !message.isEmpty
        else { return BGPNotification(code: Code.cease, subcode: subcode) }
        // Whole scalars only: the text must stay valid UTF-8 (RFC 9003 section 2).
        var text: [UInt8] = []
        for scalar in message.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if text.count + encoded.count > 255 { break }
            text += encoded
        }
        return BGPNotification(code: Code.cease, subcode: subcode, data: [UInt8(text.count)] + text)
    }

    func encodeBody(into out: inout [UInt8]) {
        out.append(code)
        out.append(subcode)
        out.append(contentsOf: data)
    }

    static func decode(_ body: ArraySlice<UInt8>) throws(BGPDecodeError) -> BGPNotification {
        var reader = ByteReader(body)
        guard let code = reader.u8(), let subcode = reader.u8() else {
            throw BGPDecodeError(.badMessageLength(UInt16(body.count + BGPLimits.headerLength)), "short NOTIFICATION")
        }
        return BGPNotification(code: code, subcode: subcode, data: Array(reader.rest()))
    }

    /// Names of the codes for logs and metric labels.
    package var codeName: String {
        switch code {
        case Code.messageHeader: "message-header-error"
        case Code.openMessage: "open-message-error"
        case Code.updateMessage: "update-message-error"
        case Code.holdTimerExpired: "hold-timer-expired"
        case Code.finiteStateMachine: "fsm-error"
        case Code.cease: "cease"
        case Code.routeRefresh: "route-refresh-error"
        default: "code-\(code)"
        }
    }

    package var description: String {
        var text = "\(codeName) (\(code)/\(subcode))"
        if code == Code.cease, subcode == 2 || subcode == 4, let length = data.first, Int(length) + 1 <= data.count,
            length > 0
        {
            text += ": \(String(decoding: data[1...Int(length)], as: UTF8.self))"
        }
        return text
    }
}
