/// A list of interface names or shell-style glob patterns (`*`, `?`), e.g. `["eth0", "enp*"]`.
package struct InterfacePatterns: Hashable, Sendable {
    package var patterns: [String]

    package init(_ patterns: [String]) { self.patterns = patterns }

    /// True when any pattern matches the whole name.
    package func matches(_ name: String) -> Bool {
        let text = Array(name.utf8)
        return patterns.contains { Self.glob(Array($0.utf8), text) }
    }

    /// Iterative glob match with single-star backtracking: linear in practice, no recursion on untrusted input.
    static func glob(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        var p = 0
        var t = 0
        var starP = -1
        var starT = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                starP = p
                starT = t
                p += 1
            } else if starP >= 0 {
                p = starP + 1
                starT += 1
                t = starT
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
