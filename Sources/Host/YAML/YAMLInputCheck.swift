/// The reader's check of YAML input before any token is scanned: the bytes must be UTF-8 and every character one
/// YAML allows (tab, line breaks, printable ASCII, NEL, and the rest of Unicode but surrogates, U+FFFE and
/// U+FFFF). Done once over the whole input, so that the scanner may then step through bytes without decoding.
enum YAMLInputCheck {
    /// The first problem of `bytes`, or nil when the input is valid YAML text.
    static func firstProblem(in bytes: [UInt8]) -> YAMLError? {
        var offset = 0
        var line = 1
        var column = 1
        let count = bytes.count
        func failure(_ problem: String, at offset: Int, value: Int?) -> YAMLError {
            YAMLError(
                .reader, problem: problem, mark: YAMLMark(line: line, column: column, offset: offset), value: value)
        }
        while offset < count {
            let lead = bytes[offset]
            if lead < 0x80 {
                // Fast path: ASCII.
                if lead == 0x0D {
                    // A line break, or the first half of one (CR LF).
                    if offset + 1 >= count || bytes[offset + 1] != 0x0A {
                        line += 1
                        column = 1
                    }
                } else if lead == 0x0A {
                    line += 1
                    column = 1
                } else if lead == 0x09 || (lead >= 0x20 && lead <= 0x7E) {
                    column += 1
                } else {
                    return failure("control characters are not allowed", at: offset, value: Int(lead))
                }
                offset += 1
                continue
            }
            let width: Int
            var value: UInt32
            switch lead {
            case 0xC0...0xDF:
                width = 2
                value = UInt32(lead & 0x1F)
            case 0xE0...0xEF:
                width = 3
                value = UInt32(lead & 0x0F)
            case 0xF0...0xF7:
                width = 4
                value = UInt32(lead & 0x07)
            default:
                return failure("invalid leading UTF-8 octet", at: offset, value: Int(lead))
            }
            guard offset + width <= count else {
                return failure("incomplete UTF-8 octet sequence", at: offset, value: nil)
            }
            for k in 1..<width {
                let octet = bytes[offset + k]
                guard octet & 0xC0 == 0x80 else {
                    return failure("invalid trailing UTF-8 octet", at: offset + k, value: Int(octet))
                }
                value = value << 6 | UInt32(octet & 0x3F)
            }
            let shortest: Bool =
                switch width {
                case 2: value >= 0x80
                case 3: value >= 0x800
                default: value >= 0x10000
                }
            guard shortest else { return failure("invalid length of a UTF-8 sequence", at: offset, value: nil) }
            guard !(0xD800...0xDFFF).contains(value), value <= 0x10FFFF else {
                return failure("invalid Unicode character", at: offset, value: Int(value))
            }
            guard
                value == 0x85 || (0xA0...0xD7FF).contains(value) || (0xE000...0xFFFD).contains(value)
                    || value >= 0x10000
            else { return failure("control characters are not allowed", at: offset, value: Int(value)) }
            if value == 0x85 || value == 0x2028 || value == 0x2029 {
                line += 1
                column = 1
            } else {
                column += 1
            }
            offset += width
        }
        return nil
    }
}
