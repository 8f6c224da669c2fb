/// A token of the YAML syntax, as the scanner finds them and the parser reads them.
struct YAMLToken {
    enum Kind {
        case streamStart
        case streamEnd
        case versionDirective(major: Int, minor: Int)
        case tagDirective(handle: [UInt8], prefix: [UInt8])
        case documentStart
        case documentEnd
        case blockSequenceStart
        case blockMappingStart
        case blockEnd
        case flowSequenceStart
        case flowSequenceEnd
        case flowMappingStart
        case flowMappingEnd
        /// `-`
        case blockEntry
        /// `,`
        case flowEntry
        /// `?`, or where a simple key starts
        case key
        /// `:`
        case value
        case alias([UInt8])
        case anchor([UInt8])
        /// `handle` is empty for a verbatim tag (`!<...>`) and for `!` alone (whose suffix is then "!").
        case tag(handle: [UInt8], suffix: [UInt8])
        case scalar([UInt8], YAMLScalarStyle)
    }

    var kind: Kind
    var start: YAMLMark
    var end: YAMLMark
}
