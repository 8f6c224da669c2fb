/// A place in YAML input: the 1-based line and column of a character (the column counts characters, not bytes,
/// so that an editor shows the same place) and its byte offset from the start of the input.
package struct YAMLMark: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// 1-based line.
    package var line: Int
    /// 1-based column, in characters.
    package var column: Int
    /// Bytes from the start of the input.
    package var offset: Int

    package init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    package var description: String { "\(line):\(column)" }
}
