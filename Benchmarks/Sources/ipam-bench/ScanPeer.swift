import HeraldCore

/// The peer measured in the same run: the first-free scan that MetalLB's allocator uses (walk the pool from its first
/// address and take the first one no service holds). Its cost per allocation grows with the number of addresses held,
/// which is what Herald's free-range structure avoids.
struct ScanPeer {
    let range: IPRange
    var taken: Set<UInt128> = []
    var byService: [String: UInt128] = [:]

    init(range: IPRange) { self.range = range }

    mutating func allocate(_ service: String) -> UInt128? {
        var candidate = range.lower.integer
        while candidate <= range.upper.integer {
            if !taken.contains(candidate) {
                taken.insert(candidate)
                byService[service] = candidate
                return candidate
            }
            candidate += 1
        }
        return nil
    }

    /// Marks the first `count` addresses held, as `count` scan allocations would, without timing them.
    mutating func prefill(_ count: Int) {
        for offset in 0..<count {
            let address = range.lower.integer + UInt128(offset)
            taken.insert(address)
            byService["prefill-\(offset)"] = address
        }
    }
}

/// Nanoseconds per allocation for `batch` scan allocations with `held` addresses already held.
func peerMarginal(range: IPRange, held: Int, batch: Int) -> Double {
    let clock = ContinuousClock()
    var best = Double.infinity
    for _ in 0..<3 {
        var peer = ScanPeer(range: range)
        peer.prefill(held)
        let start = clock.now
        for i in 0..<batch { precondition(peer.allocate("bench/svc-\(i)") != nil) }
        best = min(best, nanoseconds(start.duration(to: clock.now), per: batch))
    }
    return best
}
