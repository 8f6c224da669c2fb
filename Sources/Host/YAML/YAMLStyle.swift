/// How a scalar is written.
package enum YAMLScalarStyle: Equatable, Hashable, Sendable {
    case plain
    case singleQuoted
    case doubleQuoted
    /// `|`
    case literal
    /// `>`
    case folded
}

/// How a sequence or a mapping is written: indented lines, or brackets.
package enum YAMLCollectionStyle: Equatable, Hashable, Sendable {
    case block
    case flow
}
