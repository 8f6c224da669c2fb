import NIOCore

/// Splits a chunked byte stream into newline-terminated lines. Pure: no I/O. Lines longer than `maximumLineLength`
/// are refused, so a misbehaving server cannot make the client buffer without bound.
struct LineSplitter {
    private var buffer = ByteBuffer()
    let maximumLineLength: Int

    init(maximumLineLength: Int = 64 << 20) { self.maximumLineLength = maximumLineLength }

    /// Appends a chunk and returns every complete, non-empty line it finishes (without the newline).
    mutating func append(_ chunk: ByteBuffer) throws -> [ByteBuffer] {
        var chunk = chunk
        buffer.writeBuffer(&chunk)
        var lines: [ByteBuffer] = []
        while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - buffer.readerIndex
            if let line = buffer.readSlice(length: length), line.readableBytes > 0 { lines.append(line) }
            buffer.moveReaderIndex(forwardBy: 1)
        }
        if buffer.readableBytes > maximumLineLength {
            throw KubeError(.decoding, "watch line longer than \(maximumLineLength) bytes")
        }
        buffer.discardReadBytes()
        return lines
    }

    /// What is left after the stream ended: a final line without a newline, if any.
    var remainder: ByteBuffer? { buffer.readableBytes > 0 ? buffer : nil }
}
