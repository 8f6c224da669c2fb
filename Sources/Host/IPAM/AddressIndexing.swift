import HeraldCore

/// Numbers the usable addresses of a family consecutively, so that the free-space structure only ever sees addresses
/// that may be handed out. With `avoidBuggyIPs` on IPv4, the `.0` and `.255` addresses have no number: every /24
/// contributes its 254 other addresses, and skipping costs arithmetic, never a scan. Otherwise the number is the
/// address itself.
struct AddressIndexing: Hashable, Sendable {
    let skipsBuggy: Bool

    init(family: IPFamily, avoidBuggyIPs: Bool) {
        // MetalLB's avoidBuggyIPs concerns IPv4 only.
        skipsBuggy = avoidBuggyIPs && family == .ipv4
    }

    /// The number of a usable address, nil for an address the pool leaves out.
    func index(of address: UInt128) -> UInt128? {
        guard skipsBuggy else { return address }
        let low = address & 0xff
        guard low != 0 && low != 0xff else { return nil }
        return (address >> 8) * 254 + low - 1
    }

    func address(at index: UInt128) -> UInt128 {
        guard skipsBuggy else { return index }
        return (index / 254) << 8 | (index % 254 + 1)
    }

    /// The numbers of the usable addresses of `range`, nil when it has none.
    func indices(of range: IPRange) -> ClosedRange<UInt128>? {
        var lower = range.lower.integer
        var upper = range.upper.integer
        if skipsBuggy {
            switch lower & 0xff {
            case 0: lower += 1
            case 0xff: lower += 2
            default: break
            }
            switch upper & 0xff {
            case 0xff: upper -= 1
            case 0:
                guard upper >= 2 else { return nil }
                upper -= 2
            default: break
            }
        }
        guard lower <= upper, let first = index(of: lower), let last = index(of: upper) else { return nil }
        return first...last
    }
}
