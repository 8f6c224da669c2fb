/// Why YAML input was refused, where, and by which stage.
package struct YAMLError: Error, Equatable, Sendable, CustomStringConvertible {
    package enum Stage: Equatable, Sendable {
        /// The bytes are not YAML text: invalid UTF-8, or a character YAML does not allow (a control character).
        case reader
        /// The characters do not form YAML tokens.
        case scanner
        /// The tokens do not form a YAML document.
        case parser
    }

    package var stage: Stage
    /// What was being read when the problem was found ("while scanning a plain scalar"), if anything.
    package var context: String?
    /// Where that started.
    package var contextMark: YAMLMark?
    /// The problem ("mapping values are not allowed in this context").
    package var problem: String
    /// Where the problem is. For a reader error: the offending character's position.
    package var mark: YAMLMark
    /// For a reader error: the offending byte (an invalid UTF-8 octet) or character (a control character), or nil
    /// when the input ended inside a UTF-8 sequence or the sequence as a whole is invalid.
    package var value: Int?

    package init(
        _ stage: Stage, context: String? = nil, contextMark: YAMLMark? = nil, problem: String, mark: YAMLMark,
        value: Int? = nil
    ) {
        self.stage = stage
        self.context = context
        self.contextMark = contextMark
        self.problem = problem
        self.mark = mark
        self.value = value
    }

    package var description: String {
        "\(mark): " + (context.map { "\($0): " } ?? "") + problem
    }
}
