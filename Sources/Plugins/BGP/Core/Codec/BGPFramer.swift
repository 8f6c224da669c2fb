/// Cuts a TCP byte stream into BGP messages: `append` what the socket delivered, then call `next()` until it returns
/// nil. The header is checked as RFC 4271 section 6.1 asks before any body is buffered, so a peer can make the
/// framer hold at most one message of `maxMessageLength` beyond what the caller appended.
package struct BGPFramer: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    /// 4096 until Extended Message is negotiated, then 65535 (RFC 8654 section 4).
    package var maxMessageLength: Int

    package init(maxMessageLength: Int = BGPLimits.maxMessageLength) {
        self.maxMessageLength = min(maxMessageLength, BGPLimits.maxExtendedMessageLength)
    }

    /// Bytes received and not yet returned as a frame.
    package var buffered: Int { buffer.count - start }

    package mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0, start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, nil when more bytes are needed, or the error to report for a bad header.
    package mutating func next() throws(BGPDecodeError) -> BGPFrame? {
        guard buffered >= BGPLimits.headerLength else { return nil }
        for index in start..<start + 16 where buffer[index] != 0xFF {
            throw BGPDecodeError(.connectionNotSynchronized, "the marker is not all ones")
        }
        let length = Int(buffer[start + 16]) << 8 | Int(buffer[start + 17])
        let type = buffer[start + 18]
        guard length >= BGPLimits.headerLength, length <= maxMessageLength else {
            throw BGPDecodeError(.badMessageLength(UInt16(length)), "length \(length) out of bounds")
        }
        let minimum: Int
        var exact = false
        switch type {
        case BGPMessage.TypeCode.open: minimum = BGPLimits.minOpenLength
        case BGPMessage.TypeCode.update: minimum = BGPLimits.minUpdateLength
        case BGPMessage.TypeCode.notification: minimum = BGPLimits.minNotificationLength
        case BGPMessage.TypeCode.keepalive: (minimum, exact) = (BGPLimits.keepaliveLength, true)
        case BGPMessage.TypeCode.routeRefresh: (minimum, exact) = (BGPLimits.routeRefreshLength, true)
        default: throw BGPDecodeError(.badMessageType(type), "message type \(type)")
        }
        guard length >= minimum, !exact || length == minimum else {
            throw BGPDecodeError(.badMessageLength(UInt16(length)), "length \(length) for message type \(type)")
        }
        guard buffered >= length else { return nil }
        let body = Array(buffer[(start + BGPLimits.headerLength)..<(start + length)])
        start += length
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return BGPFrame(type: type, body: body)
    }
}
