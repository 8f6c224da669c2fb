import Yams

/// The type of a plain (unquoted, untagged) scalar, by YAML 1.1's rules as Yams' default resolver applies them (`yes`
/// and `off` are booleans, `0x1F` an integer, `~` null), decided by looking at its bytes once instead of matching a
/// regular expression per rule per access: reading a 20,000-pool file no longer costs seconds.
enum ScalarResolver {
    static func resolve(_ text: String) -> Tag.Name {
        if isNull(text) { return .null }
        if isBool(text) { return .bool }
        // Most strings (names, addresses, CIDRs) hold a byte no number can: decided without a closer look.
        guard text.utf8.allSatisfy({ numeric[Int($0)] }) else { return .str }
        let b = Array(text.utf8)
        if isInt(b) { return .int }
        if isFloat(b) { return .float }
        return .str
    }

    static func isNull(_ s: String) -> Bool { s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL" }

    static let bools: Set<String> = [
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON",
        "off", "Off", "OFF",
    ]
    static func isBool(_ s: String) -> Bool { s.utf8.count <= 5 && bools.contains(s) }

    /// Bytes that may appear in an integer or a float (digits, signs, '.', '_', ':', exponent, base and hex
    /// letters, the letters of .inf and .nan).
    private static let numeric: [Bool] = (0..<256).map { byte in
        "0123456789+-._:eEoxbabcdefABCDEFinfINFNnaA".utf8.contains(UInt8(byte))
    }

    private static func digit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func hex(_ c: UInt8) -> Bool {
        digit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
    }
    private static let underscore = UInt8(ascii: "_")

    /// Skips one leading sign.
    private static func unsigned(_ b: [UInt8]) -> ArraySlice<UInt8> {
        b.first == UInt8(ascii: "-") || b.first == UInt8(ascii: "+") ? b[1...] : b[...]
    }

    /// `[-+]?0b[01_]+ | [-+]?0o?[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`
    static func isInt(_ b: [UInt8]) -> Bool {
        let u = unsigned(b)
        guard let first = u.first else { return false }
        let rest = u.dropFirst()
        if first == UInt8(ascii: "0") {
            if rest.isEmpty { return true }
            let marker = rest.first!
            let body = rest.dropFirst()
            if marker == UInt8(ascii: "b") {
                return !body.isEmpty && body.allSatisfy { $0 == 0x30 || $0 == 0x31 || $0 == underscore }
            }
            if marker == UInt8(ascii: "x") { return !body.isEmpty && body.allSatisfy { hex($0) || $0 == underscore } }
            let octal = marker == UInt8(ascii: "o") ? body : rest
            return !octal.isEmpty && octal.allSatisfy { ($0 >= 0x30 && $0 <= 0x37) || $0 == underscore }
        }
        guard digit(first) else { return false }
        // [1-9][0-9_]* optionally followed by sexagesimal groups (:[0-5]?[0-9])+.
        let groups = rest.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard groups[0].allSatisfy({ digit($0) || $0 == underscore }) else { return false }
        return groups.dropFirst().allSatisfy(isSexagesimal)
    }

    /// `[0-5]?[0-9]`
    private static func isSexagesimal(_ g: ArraySlice<UInt8>) -> Bool {
        switch g.count {
        case 1: digit(g.first!)
        case 2: g.first! >= 0x30 && g.first! <= 0x35 && digit(g.last!)
        default: false
        }
    }

    /// `[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)? | \.[0-9_]+([eE][-+][0-9]+)?
    /// | [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)`
    static func isFloat(_ b: [UInt8]) -> Bool {
        let text = String(decoding: b, as: UTF8.self)
        if [".nan", ".NaN", ".NAN"].contains(text) { return true }
        let u = unsigned(b)
        if [".inf", ".Inf", ".INF"].contains(String(decoding: u, as: UTF8.self)) { return true }
        let signed = u.count != b.count
        guard let first = u.first else { return false }
        if first == UInt8(ascii: ".") {
            // \.[0-9_]+([eE][-+][0-9]+)?, unsigned only.
            guard !signed else { return false }
            let (mantissa, exponent) = splitExponent(u.dropFirst())
            return !mantissa.isEmpty && mantissa.allSatisfy { digit($0) || $0 == underscore }
                && (exponent.map { isExponent($0, signRequired: true) } ?? true)
        }
        guard digit(first) else { return false }
        if u.contains(UInt8(ascii: ":")) {
            // [0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*
            guard let dot = u.firstIndex(of: UInt8(ascii: ".")) else { return false }
            let groups = u[..<dot].split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            return groups.count >= 2 && groups[0].allSatisfy { digit($0) || $0 == underscore }
                && groups.dropFirst().allSatisfy(isSexagesimal)
                && u[(dot + 1)...].allSatisfy { digit($0) || $0 == underscore }
        }
        let (mantissa, exponent) = splitExponent(u)
        let parts = mantissa.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        guard parts[0].allSatisfy({ digit($0) || $0 == underscore }) else { return false }
        if parts.count == 2 && !parts[1].allSatisfy({ digit($0) || $0 == underscore }) { return false }
        return exponent.map { isExponent($0, signRequired: false) } ?? true
    }

    private static func splitExponent(_ s: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, ArraySlice<UInt8>?) {
        guard let e = s.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else {
            return (s, nil)
        }
        return (s[..<e], s[(e + 1)...])
    }

    private static func isExponent(_ s: ArraySlice<UInt8>, signRequired: Bool) -> Bool {
        let hasSign = s.first == UInt8(ascii: "-") || s.first == UInt8(ascii: "+")
        if signRequired && !hasSign { return false }
        let digits = hasSign ? s.dropFirst() : s
        return !digits.isEmpty && digits.allSatisfy(digit)
    }
}
