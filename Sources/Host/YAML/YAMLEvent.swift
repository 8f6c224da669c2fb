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

/// What a node carries besides its content: its anchor (`&name`), its tag resolved to a full name (`!!str` is
/// `tag:yaml.org,2002:str`, `!x` is `!x`, a `%TAG` handle is replaced by its prefix), and whether the tag was left
/// out.
package struct YAMLNodeProperties: Equatable, Hashable, Sendable {
    package var anchor: String?
    package var tag: String?

    package init(anchor: String? = nil, tag: String? = nil) {
        self.anchor = anchor
        self.tag = tag
    }
}

/// One parse event, as a YAML 1.1 parser reports the structure of a stream before any value is built.
package struct YAMLEvent: Equatable, Hashable, Sendable {
    package enum Kind: Equatable, Hashable, Sendable {
        case streamStart
        case streamEnd
        /// `implicit`: no `---` (nor directives) opened the document.
        case documentStart(implicit: Bool, version: YAMLVersion?, tags: [YAMLTagDirective])
        /// `implicit`: no `...` closed the document.
        case documentEnd(implicit: Bool)
        /// `implicit`: no tag was given.
        case sequenceStart(YAMLNodeProperties, implicit: Bool, style: YAMLCollectionStyle)
        case sequenceEnd
        case mappingStart(YAMLNodeProperties, implicit: Bool, style: YAMLCollectionStyle)
        case mappingEnd
        /// `plainImplicit`: the tag may be resolved from a plain scalar's text (no tag, or `!`); `quotedImplicit`: a
        /// quoted scalar without a tag (a string).
        case scalar(
            YAMLNodeProperties, value: String, plainImplicit: Bool, quotedImplicit: Bool, style: YAMLScalarStyle)
        /// `*name`
        case alias(String)
    }

    package var kind: Kind
    /// Where the event's text starts (for a node: its anchor or tag when it has one).
    package var start: YAMLMark

    package init(_ kind: Kind, at start: YAMLMark) {
        self.kind = kind
        self.start = start
    }
}

/// A `%YAML major.minor` directive.
package struct YAMLVersion: Equatable, Hashable, Sendable {
    package var major: Int
    package var minor: Int

    package init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }
}

/// A `%TAG handle prefix` directive.
package struct YAMLTagDirective: Equatable, Hashable, Sendable {
    package var handle: String
    package var prefix: String

    package init(handle: String, prefix: String) {
        self.handle = handle
        self.prefix = prefix
    }
}
