/// The protocol between the host and a plugin runner (`herald plugin-runner`, the child that loads a plugin with
/// `isolation: process`): every ABI call and every callback as a frame on a socketpair. Pure: no I/O, no clock.
///
/// A frame is a 4-byte big-endian body length (at most ``maximumBody``) and the body: a tag byte, then the message's
/// fields in order. Integers are big-endian; a string is a 4-byte length and UTF-8 bytes; a list is a 4-byte count and
/// its elements; an optional is a byte 0 or 1 and the value. The runner's side is untrusted (it runs third-party code):
/// every length and count is checked against the bytes that remain, nothing is allocated ahead of what arrived, and
/// anything malformed ends the connection (the host then treats the runner as crashed).
///
/// Version 1. The first frame is the host's ``RunnerMessage/hello(_:)``; a runner speaking another version answers
/// ``RunnerMessage/refused(_:)`` and exits.
package enum RunnerWire {
    package static let version: UInt16 = 1
    /// The largest frame body either side accepts (a plugin's metrics are the largest message).
    package static let maximumBody = 4 << 20
    /// The longest string field (log lines, configurations, error text).
    package static let maximumString = 1 << 20

    /// Why bytes are not a valid message.
    package struct Malformed: Error, Equatable, Sendable, CustomStringConvertible {
        package var reason: String
        package init(_ reason: String) { self.reason = reason }
        package var description: String { "malformed runner frame: \(reason)" }
    }

    /// Encodes a message as a whole frame (length prefix included).
    package static func frame(_ message: RunnerMessage) -> [UInt8] {
        var writer = Writer()
        writer.bytes = [0, 0, 0, 0]
        message.encode(into: &writer)
        let length = UInt32(writer.bytes.count - 4)
        writer.bytes[0] = UInt8(length >> 24)
        writer.bytes[1] = UInt8(truncatingIfNeeded: length >> 16)
        writer.bytes[2] = UInt8(truncatingIfNeeded: length >> 8)
        writer.bytes[3] = UInt8(truncatingIfNeeded: length)
        return writer.bytes
    }

    /// Decodes one frame body (without its length prefix).
    package static func decode(_ body: ArraySlice<UInt8>) throws(Malformed) -> RunnerMessage {
        var reader = Reader(body)
        let message = try RunnerMessage.decode(from: &reader)
        guard reader.atEnd else { throw Malformed("\(reader.remaining) bytes after the message") }
        return message
    }

    /// Splits a byte stream into frame bodies.
    package struct FrameSplitter: Sendable {
        private var buffer: [UInt8] = []
        private var start = 0

        package init() {}

        /// Adds bytes read from the socket.
        package mutating func append(_ bytes: some Collection<UInt8>) {
            if start > 0 && start == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                start = 0
            }
            buffer.append(contentsOf: bytes)
        }

        /// The next complete frame body, nil when more bytes are needed; throws on a length over the limit.
        package mutating func next() throws(Malformed) -> ArraySlice<UInt8>? {
            guard buffer.count - start >= 4 else { return nil }
            let length =
                Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8
                | Int(buffer[start + 3])
            guard length <= RunnerWire.maximumBody else {
                throw Malformed("a frame of \(length) bytes (the limit is \(RunnerWire.maximumBody))")
            }
            guard buffer.count - start - 4 >= length else { return nil }
            let body = buffer[(start + 4)..<(start + 4 + length)]
            start += 4 + length
            if start > 1 << 16 && start * 2 > buffer.count {
                buffer.removeFirst(start)
                start = 0
                return ArraySlice(Array(body))
            }
            return body
        }
    }

    package struct Writer {
        package var bytes: [UInt8] = []
        mutating func u8(_ v: UInt8) { bytes.append(v) }
        mutating func u16(_ v: UInt16) { bytes += [UInt8(v >> 8), UInt8(truncatingIfNeeded: v)] }
        mutating func u32(_ v: UInt32) {
            bytes += [
                UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8),
                UInt8(truncatingIfNeeded: v),
            ]
        }
        mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
        mutating func u64(_ v: UInt64) {
            u32(UInt32(v >> 32))
            u32(UInt32(truncatingIfNeeded: v))
        }
        mutating func f64(_ v: Double) { u64(v.bitPattern) }
        mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
        mutating func string(_ s: String) {
            let utf8 = Array(s.utf8.prefix(RunnerWire.maximumString))
            u32(UInt32(utf8.count))
            bytes += utf8
        }
        mutating func optional(_ s: String?) {
            bool(s != nil)
            if let s { string(s) }
        }
        mutating func strings(_ list: [String]) {
            u32(UInt32(list.count))
            for s in list { string(s) }
        }
        mutating func pairs(_ list: [RunnerPair]) {
            u32(UInt32(list.count))
            for p in list {
                string(p.key)
                string(p.value)
            }
        }
    }

    package struct Reader {
        private let bytes: ArraySlice<UInt8>
        private var index: Int

        init(_ bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            self.index = bytes.startIndex
        }

        var remaining: Int { bytes.endIndex - index }
        var atEnd: Bool { index == bytes.endIndex }

        mutating func take(_ n: Int, _ what: String) throws(Malformed) -> ArraySlice<UInt8> {
            guard n >= 0, remaining >= n else { throw Malformed("\(what) is cut short") }
            defer { index += n }
            return bytes[index..<(index + n)]
        }
        mutating func u8(_ what: String) throws(Malformed) -> UInt8 { try take(1, what).first! }
        mutating func u16(_ what: String) throws(Malformed) -> UInt16 {
            let b = try take(2, what)
            return UInt16(b[b.startIndex]) << 8 | UInt16(b[b.startIndex + 1])
        }
        mutating func u32(_ what: String) throws(Malformed) -> UInt32 {
            let b = try take(4, what)
            var v: UInt32 = 0
            for byte in b { v = v << 8 | UInt32(byte) }
            return v
        }
        mutating func i32(_ what: String) throws(Malformed) -> Int32 { Int32(bitPattern: try u32(what)) }
        mutating func u64(_ what: String) throws(Malformed) -> UInt64 {
            UInt64(try u32(what)) << 32 | UInt64(try u32(what))
        }
        mutating func f64(_ what: String) throws(Malformed) -> Double { Double(bitPattern: try u64(what)) }
        mutating func bool(_ what: String) throws(Malformed) -> Bool {
            switch try u8(what) {
            case 0: return false
            case 1: return true
            case let other: throw Malformed("\(what) is \(other), not 0 or 1")
            }
        }
        mutating func string(_ what: String) throws(Malformed) -> String {
            let length = Int(try u32(what))
            guard length <= RunnerWire.maximumString else { throw Malformed("\(what) is \(length) bytes long") }
            let raw = try take(length, what)
            guard let text = String(validating: raw, as: UTF8.self) else { throw Malformed("\(what) is not UTF-8") }
            return text
        }
        mutating func optional(_ what: String) throws(Malformed) -> String? {
            try bool(what) ? try string(what) : nil
        }
        /// A count of elements each at least `minimumSize` bytes long: never more than the bytes left can hold.
        mutating func count(_ what: String, minimumSize: Int) throws(Malformed) -> Int {
            let n = Int(try u32(what))
            guard n <= remaining / minimumSize else { throw Malformed("\(what) claims \(n) elements") }
            return n
        }
        mutating func strings(_ what: String) throws(Malformed) -> [String] {
            let n = try count(what, minimumSize: 4)
            var list: [String] = []
            list.reserveCapacity(n)
            for _ in 0..<n { list.append(try string(what)) }
            return list
        }
        mutating func pairs(_ what: String) throws(Malformed) -> [RunnerPair] {
            let n = try count(what, minimumSize: 8)
            var list: [RunnerPair] = []
            list.reserveCapacity(n)
            for _ in 0..<n { list.append(RunnerPair(key: try string(what), value: try string(what))) }
            return list
        }
    }
}

/// A key and a value (node labels, metric labels).
package struct RunnerPair: Equatable, Sendable {
    package var key: String
    package var value: String
    package init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
