/// A CIDR prefix such as `192.0.2.0/24` or `2001:db8::/64`. The address is always the network address: `parse`
/// rejects host bits set (`192.0.2.1/24`); `parseClearingHostBits` reads them as MetalLB reads a pool's CIDR.
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    public let network: IPAddress
    public let length: Int

    public init?(network: IPAddress, length: Int) {
        guard (0...network.family.bitWidth).contains(length) else { return nil }
        guard network.integer & ~IPPrefix.mask(family: network.family, length: length) == 0 else { return nil }
        self.network = network
        self.length = length
    }

    /// Parses `address/length`. Returns a reason on failure, for error messages.
    public static func parse(_ text: some StringProtocol) -> Result<IPPrefix, AddressParseError> {
        parseClearingHostBits(text).flatMap { prefix, hostBitsSet in
            guard hostBitsSet else { return .success(prefix) }
            return .failure(.init("\"\(text)\" has host bits set; did you mean \(prefix)?"))
        }
    }

    /// Parses `address/length` as MetalLB does, clearing host bits: `192.0.2.1/24` is `192.0.2.0/24`.
    /// `hostBitsSet` says that there were some, which is worth a warning (often a typo).
    public static func parseClearingHostBits(
        _ text: some StringProtocol
    ) -> Result<(prefix: IPPrefix, hostBitsSet: Bool), AddressParseError> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .failure(.init("\"\(text)\" is not a CIDR (expected address/length)")) }
        guard let address = IPAddress(parts[0]) else {
            return .failure(.init("\"\(parts[0])\" is not an IPv4 or IPv6 address"))
        }
        guard let length = Int(parts[1]), (0...address.family.bitWidth).contains(length), !parts[1].hasPrefix("+")
        else {
            return .failure(.init("prefix length \"\(parts[1])\" must be 0...\(address.family.bitWidth)"))
        }
        let network = IPAddress(
            family: address.family,
            integer: address.integer & mask(family: address.family, length: length))
        return .success((IPPrefix(uncheckedNetwork: network, length: length), network != address))
    }

    private init(uncheckedNetwork network: IPAddress, length: Int) {
        self.network = network
        self.length = length
    }

    public init?(_ text: some StringProtocol) {
        guard case .success(let p) = IPPrefix.parse(text) else { return nil }
        self = p
    }

    /// The network mask for a prefix length, as an integer of the family's width.
    public static func mask(family: IPFamily, length: Int) -> UInt128 {
        let width = family.bitWidth
        let all: UInt128 = width == 128 ? ~0 : (UInt128(1) << width) - 1
        if length == 0 { return 0 }
        return all & ~((UInt128(1) << (width - length)) - 1) & all
    }

    public var family: IPFamily { network.family }

    /// The inclusive range of addresses the prefix covers.
    public var range: IPRange {
        let hostBits = IPPrefix.mask(family: family, length: length) ^ IPRange.allOnes(family)
        return IPRange(
            uncheckedLower: network,
            upper: IPAddress(family: family, integer: network.integer | hostBits))
    }

    public func contains(_ address: IPAddress) -> Bool { range.contains(address) }

    public var description: String { "\(network)/\(length)" }
}

/// Why a textual address, prefix or range could not be read.
public struct AddressParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
