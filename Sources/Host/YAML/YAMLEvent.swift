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
