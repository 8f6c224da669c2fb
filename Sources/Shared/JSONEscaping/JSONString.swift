/// JSON string literals (RFC 8259 section 7), for code that writes JSON text by hand: the host's configuration
/// converter and the plugins (PluginKit re-exports this module). Dependency-free so that both sides can link it.
public enum JSONString {
    /// `text` as a JSON string literal, quotes included: `"`, `\` and the control characters escaped (`\n`, `\r`,
    /// `\t`, else `\u00XX`); every other scalar is written as is.
    public static func quoted(_ text: String) -> String {
        var out = ""
        quote(text, into: &out)
        return out
    }

    /// Appends `text` to `out` as a JSON string literal, quotes included (see `quoted(_:)`).
    public static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
