import CYaml
import HeraldYAML

/// libyaml's events for the same bytes, in HeraldYAML's types, so that the two parsers can be compared event by
/// event. libyaml reads the input as UTF-8, as YAMLPrescan once did.
enum LibYAML {
    struct Result {
        var events: [YAMLEvent]
        /// libyaml's error, when it refused the input.
        var error: YAMLError?
    }

    static func parse(_ bytes: [UInt8]) -> Result {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { fatalError("libyaml: out of memory") }
        defer { yaml_parser_delete(&parser) }
        return bytes.withUnsafeBufferPointer { buffer -> Result in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var events: [YAMLEvent] = []
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    return Result(events: events, error: error(parser))
                }
                defer { yaml_event_delete(&event) }
                let start = mark(event.start_mark)
                switch event.type {
                case YAML_STREAM_START_EVENT:
                    events.append(YAMLEvent(.streamStart, at: start))
                case YAML_STREAM_END_EVENT:
                    events.append(YAMLEvent(.streamEnd, at: start))
                    return Result(events: events, error: nil)
                case YAML_DOCUMENT_START_EVENT:
                    let data = event.data.document_start
                    let version = data.version_directive.map {
                        YAMLVersion(major: Int($0.pointee.major), minor: Int($0.pointee.minor))
                    }
                    var tags: [YAMLTagDirective] = []
                    var directive = data.tag_directives.start
                    while let current = directive, current != data.tag_directives.end {
                        tags.append(
                            YAMLTagDirective(
                                handle: text(current.pointee.handle) ?? "", prefix: text(current.pointee.prefix) ?? ""))
                        directive = current + 1
                    }
                    events.append(
                        YAMLEvent(.documentStart(implicit: data.implicit != 0, version: version, tags: tags), at: start)
                    )
                case YAML_DOCUMENT_END_EVENT:
                    events.append(YAMLEvent(.documentEnd(implicit: event.data.document_end.implicit != 0), at: start))
                case YAML_SEQUENCE_START_EVENT:
                    let data = event.data.sequence_start
                    events.append(
                        YAMLEvent(
                            .sequenceStart(
                                YAMLNodeProperties(anchor: text(data.anchor), tag: text(data.tag)),
                                implicit: data.implicit != 0,
                                style: data.style == YAML_FLOW_SEQUENCE_STYLE ? .flow : .block),
                            at: start))
                case YAML_SEQUENCE_END_EVENT:
                    events.append(YAMLEvent(.sequenceEnd, at: start))
                case YAML_MAPPING_START_EVENT:
                    let data = event.data.mapping_start
                    events.append(
                        YAMLEvent(
                            .mappingStart(
                                YAMLNodeProperties(anchor: text(data.anchor), tag: text(data.tag)),
                                implicit: data.implicit != 0,
                                style: data.style == YAML_FLOW_MAPPING_STYLE ? .flow : .block),
                            at: start))
                case YAML_MAPPING_END_EVENT:
                    events.append(YAMLEvent(.mappingEnd, at: start))
                case YAML_SCALAR_EVENT:
                    let data = event.data.scalar
                    let value = String(
                        decoding: UnsafeBufferPointer(start: data.value, count: Int(data.length)), as: UTF8.self)
                    events.append(
                        YAMLEvent(
                            .scalar(
                                YAMLNodeProperties(anchor: text(data.anchor), tag: text(data.tag)), value: value,
                                plainImplicit: data.plain_implicit != 0, quotedImplicit: data.quoted_implicit != 0,
                                style: style(data.style)),
                            at: start))
                case YAML_ALIAS_EVENT:
                    events.append(YAMLEvent(.alias(text(event.data.alias.anchor) ?? ""), at: start))
                default:
                    return Result(events: events, error: nil)
                }
            }
        }
    }

    /// libyaml's marks are 0-based and count characters; its index counts characters too, so the byte offset is
    /// left at -1 (the comparison is on line and column).
    private static func mark(_ mark: yaml_mark_t) -> YAMLMark {
        YAMLMark(line: Int(mark.line) + 1, column: Int(mark.column) + 1, offset: -1)
    }

    private static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private static func style(_ style: yaml_scalar_style_t) -> YAMLScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }

    private static func error(_ parser: yaml_parser_t) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        let stage: YAMLError.Stage =
            parser.error == YAML_READER_ERROR ? .reader : parser.error == YAML_SCANNER_ERROR ? .scanner : .parser
        if stage == .reader {
            return YAMLError(
                .reader, problem: problem, mark: YAMLMark(line: 0, column: 0, offset: Int(parser.problem_offset)),
                value: parser.problem_value < 0 ? nil : Int(parser.problem_value))
        }
        return YAMLError(
            stage, context: parser.context.map { String(cString: $0) }, problem: problem,
            mark: mark(parser.problem_mark))
    }
}
