/// An inclusive range of addresses of one family: `lower...upper`.
public struct IPRange: Hashable, Sendable, CustomStringConvertible {
    public let lower: IPAddress
    public let upper: IPAddress

    public init?(lower: IPAddress, upper: IPAddress) {
        guard lower.family == upper.family, lower <= upper else { return nil }
        self.lower = lower
        self.upper = upper
    }

    init(uncheckedLower lower: IPAddress, upper: IPAddress) {
        self.lower = lower
        self.upper = upper
    }

    /// Parses a pool entry: a CIDR (`192.0.2.0/24`), a range (`192.0.2.10-192.0.2.20`) or a single address. A CIDR
    /// with host bits set means its network, as in MetalLB (`192.0.2.1/24` is `192.0.2.0/24`).
    public static func parse(_ text: some StringProtocol) -> Result<IPRange, AddressParseError> {
        parseEntry(text).map(\.range)
    }

    /// `parse(_:)`, and the network a CIDR with host bits set was read as (nil for any other entry), for a warning.
    public static func parseEntry(
        _ text: some StringProtocol
    ) -> Result<(range: IPRange, clearedHostBits: IPPrefix?), AddressParseError> {
        let trimmed = trimmingBlanks(text)
        if trimmed.contains("/") {
            return IPPrefix.parseClearingHostBits(trimmed).map { ($0.prefix.range, $0.hostBitsSet ? $0.prefix : nil) }
        }
        let ends = trimmed.split(separator: "-", omittingEmptySubsequences: false).map {
            trimmingBlanks($0)
        }
        switch ends.count {
        case 1:
            guard let a = IPAddress(ends[0]) else {
                return .failure(.init("\"\(trimmed)\" is not an address, a CIDR or an a-b range"))
            }
            return .success((IPRange(uncheckedLower: a, upper: a), nil))
        case 2:
            guard let a = IPAddress(ends[0]) else { return .failure(.init("\"\(ends[0])\" is not an IP address")) }
            guard let b = IPAddress(ends[1]) else { return .failure(.init("\"\(ends[1])\" is not an IP address")) }
            guard a.family == b.family else {
                return .failure(.init("range \"\(trimmed)\" mixes IPv4 and IPv6"))
            }
            guard let r = IPRange(lower: a, upper: b) else {
                return .failure(.init("range \"\(trimmed)\" ends before it starts"))
            }
            return .success((r, nil))
        default:
            return .failure(.init("\"\(trimmed)\" is not an address, a CIDR or an a-b range"))
        }
    }

    public var family: IPFamily { lower.family }

    /// The number of addresses, saturating at `UInt128.max` for `::/0`.
    public var count: UInt128 {
        let span = upper.integer - lower.integer
        return span == .max ? .max : span + 1
    }

    public func contains(_ address: IPAddress) -> Bool {
        address.family == family && lower <= address && address <= upper
    }

    public func overlaps(_ other: IPRange) -> Bool {
        family == other.family && lower <= other.upper && other.lower <= upper
    }

    static func allOnes(_ family: IPFamily) -> UInt128 {
        family == .ipv4 ? UInt128(UInt32.max) : .max
    }

    public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }
}

/// The text without leading and trailing spaces and tabs (the core does not use Foundation).
func trimmingBlanks(_ text: some StringProtocol) -> String {
    var s = Substring(text)
    while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
    while let l = s.last, l == " " || l == "\t" { s.removeLast() }
    return String(s)
}
