/// An IPv6 address as a 128-bit integer in host order. Text follows RFC 4291 section 2.2 on input (including `::` and
/// an embedded dotted-quad suffix) and RFC 5952 on output.
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt128

    public init(_ value: UInt128) { self.value = value }

    public init?(_ text: some StringProtocol) {
        let s = String(text)
        guard !s.isEmpty, s.utf8.count <= 45, !s.contains("%") else { return nil }
        var halves: [String] = []
        if let gap = s.firstRange(of: "::") {
            let rest = s[gap.upperBound...]
            guard rest.firstRange(of: "::") == nil, !rest.hasPrefix(":") else { return nil }
            halves = [String(s[..<gap.lowerBound]), String(rest)]
        } else {
            halves = [s]
        }
        func groups(_ part: String, allowIPv4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, allowIPv4Tail, piece.contains(".") {
                    guard let v4 = IPv4Address(piece) else { return nil }
                    result.append(UInt16(truncatingIfNeeded: v4.value >> 16))
                    result.append(UInt16(truncatingIfNeeded: v4.value))
                    continue
                }
                guard (1...4).contains(piece.utf8.count), let group = UInt16(piece, radix: 16) else { return nil }
                result.append(group)
            }
            return result
        }
        var all: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0], allowIPv4Tail: false),
                let tail = groups(halves[1], allowIPv4Tail: true),
                head.count + tail.count <= 7
            else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let only = groups(halves[0], allowIPv4Tail: true), only.count == 8 else { return nil }
            all = only
        }
        var value: UInt128 = 0
        for group in all { value = value << 16 | UInt128(group) }
        self.value = value
    }

    /// The eight 16-bit groups, most significant first.
    public var groups: [UInt16] { (0..<8).map { UInt16(truncatingIfNeeded: value >> (112 - 16 * UInt128($0))) } }

    /// The sixteen bytes in network order.
    public var bytes: [UInt8] { (0..<16).map { UInt8(truncatingIfNeeded: value >> (120 - 8 * UInt128($0))) } }

    public var description: String {
        let g = groups
        // RFC 5952 4.2: compress the longest run of two or more zero groups, the first one on a tie.
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            if g[index] == 0 {
                var end = index
                while end < 8 && g[end] == 0 { end += 1 }
                if end - index > bestLength {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            } else {
                index += 1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            range.map { String(g[$0], radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}
