import HeraldCore

/// One range of a pool with its free addresses.
struct RangeSpace: Sendable {
    let range: IPRange
    let indexing: AddressIndexing
    /// Nil when the range has no usable address (a lone `.255`-`.0` pair with `avoidBuggyIPs`).
    private(set) var free: FreeSpace?

    init(range: IPRange, avoidBuggyIPs: Bool) {
        self.range = range
        indexing = AddressIndexing(family: range.family, avoidBuggyIPs: avoidBuggyIPs)
        free = indexing.indices(of: range).map { FreeSpace(first: $0.lowerBound, last: $0.upperBound) }
    }

    var family: IPFamily { range.family }
    var capacity: UInt128 { free?.capacity ?? 0 }
    var inUse: UInt128 { free?.inUse ?? 0 }

    /// The number of a usable address of this range, nil for any other address.
    private func index(of address: IPAddress) -> UInt128? {
        guard range.contains(address), let index = indexing.index(of: address.integer) else { return nil }
        return index
    }

    /// Whether `address` is in the range and not left out by `avoidBuggyIPs`.
    func isUsable(_ address: IPAddress) -> Bool { index(of: address) != nil }

    func isFree(_ address: IPAddress) -> Bool { index(of: address).map { free?.isFree($0) ?? false } ?? false }

    /// Takes `address`; false when it is not usable here or already taken.
    mutating func take(_ address: IPAddress) -> Bool {
        guard let index = index(of: address) else { return false }
        return free?.take(index) ?? false
    }

    mutating func takeLowest() -> IPAddress? {
        guard let index = free?.takeLowest() else { return nil }
        return IPAddress(family: family, integer: indexing.address(at: index))
    }

    mutating func release(_ address: IPAddress) {
        guard let index = index(of: address) else { preconditionFailure("\(address) is not in \(range)") }
        free?.free(index)
    }
}
