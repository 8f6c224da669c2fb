/// What is queued toward a peer and not yet taken by its socket, bounded: a peer that stops reading must not make the
/// speaker buffer without end. `append` refuses a message that would take the buffer past `limit` and marks the
/// buffer `overflowed`; the session is then torn down (RFC 4486 Cease, Out of Resources) and set up again later, so a
/// refused message is never silently skipped on a session that goes on. Whole messages only: what was refused leaves
/// no partial message in the stream.
package struct BGPOutputBuffer: Sendable {
    /// 8 MiB: far above a full table of a load balancer's prefixes, yet a bound.
    package static let defaultLimit = 8 << 20

    package let limit: Int
    private var bytes: [UInt8] = []
    private var start = 0
    /// A message was refused since the buffer was last cleared.
    package private(set) var overflowed = false

    package init(limit: Int = Self.defaultLimit) {
        self.limit = limit
    }

    /// Bytes queued and not yet consumed.
    package var pending: Int { bytes.count - start }

    /// Queues one encoded message. False (and `overflowed` set) when it would take the buffer past `limit`;
    /// `force` queues it anyway (the NOTIFICATION that ends the session).
    @discardableResult
    package mutating func append(_ message: [UInt8], force: Bool = false) -> Bool {
        guard force || pending + message.count <= limit else {
            overflowed = true
            return false
        }
        bytes += message
        return true
    }

    /// Calls `body` with the pending bytes; it returns how many it took (a negative return takes none).
    package mutating func drain(_ body: (UnsafeRawBufferPointer) -> Int) -> Int {
        guard pending > 0 else { return 0 }
        let taken = bytes.withUnsafeBytes { raw in body(UnsafeRawBufferPointer(rebasing: raw[start...])) }
        if taken > 0 { consume(min(taken, pending)) }
        return taken
    }

    /// Marks `count` pending bytes as sent.
    package mutating func consume(_ count: Int) {
        start += min(max(count, 0), pending)
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: bytes.count < 1 << 20)
            start = 0
        } else if start > 1 << 20 {
            bytes.removeFirst(start)
            start = 0
        }
    }

    /// Empties the buffer (the connection is gone) and clears `overflowed`.
    package mutating func clear() {
        bytes = []
        start = 0
        overflowed = false
    }

    /// The pending bytes, for tests.
    package var pendingBytes: [UInt8] { Array(bytes[start...]) }
}
