import NIOCore

/// Splits a chunked byte stream into newline-terminated lines. Pure: no I/O. Lines longer than `maximumLineLength`
/// are refused, so a misbehaving server cannot make the client buffer without bound.
///
/// Lines are handed to the caller as slices of the chunk while it is processed, so nothing is copied except the
/// unfinished last line of a chunk; the carry-over buffer gives back a large capacity once it is empty (a burst of
/// watch events does not leave megabytes behind for the rest of the watch).
struct LineSplitter {
    private var pending = ByteBuffer()
    let maximumLineLength: Int
    /// The capacity above which an emptied carry-over buffer is released.
    static let retainedCapacity = 64 << 10

    init(maximumLineLength: Int = 64 << 20) { self.maximumLineLength = maximumLineLength }

    /// Appends a chunk and calls `line` with every complete, non-empty line it finishes (without the newline). The
    /// slice is valid for the call only: decode it, do not keep it.
    mutating func append(_ chunk: ByteBuffer, line: (ByteBuffer) throws -> Void) throws {
        var chunk = chunk
        if pending.readableBytes == 0 {
            // The common case: the chunk starts a line. Its lines are read in place.
            try Self.drain(&chunk, line)
            if pending.capacity > Self.retainedCapacity { pending = ByteBuffer() }
            pending.clear()
            pending.writeBuffer(&chunk)
        } else {
            // The line left over from the last chunk goes on: the first newline ends it.
            guard let newline = chunk.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
                pending.writeBuffer(&chunk)
                try checkLength()
                return
            }
            var head = chunk.readSlice(length: newline - chunk.readerIndex)!
            chunk.moveReaderIndex(forwardBy: 1)
            pending.writeBuffer(&head)
            try checkLength()
            if pending.readableBytes > 0 { try line(pending) }
            pending.clear()
            try append(chunk, line: line)
            return
        }
        try checkLength()
    }

    /// Appends a chunk and returns the lines it finishes, copied (for callers that keep them).
    mutating func append(_ chunk: ByteBuffer) throws -> [ByteBuffer] {
        var lines: [ByteBuffer] = []
        try append(chunk) { lines.append(ByteBuffer(buffer: $0)) }
        return lines
    }

    /// The capacity the splitter holds between chunks.
    var carriedCapacity: Int { pending.capacity }

    /// What is left after the stream ended: a final line without a newline, if any.
    var remainder: ByteBuffer? { pending.readableBytes > 0 ? pending : nil }

    private static func drain(_ buffer: inout ByteBuffer, _ line: (ByteBuffer) throws -> Void) throws {
        while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let slice = buffer.readSlice(length: newline - buffer.readerIndex)!
            buffer.moveReaderIndex(forwardBy: 1)
            if slice.readableBytes > 0 { try line(slice) }
        }
    }

    private func checkLength() throws {
        if pending.readableBytes > maximumLineLength {
            throw KubeError(.decoding, "watch line longer than \(maximumLineLength) bytes")
        }
    }
}
