import HeraldCore

/// The overlap check Herald used before `RangeOverlaps`: each range compared with every range before it. Kept here
/// only to measure against, in the same run.
enum QuadraticPeer {
    static func overlaps(_ ranges: [IPRange]) -> Int {
        var seen: [IPRange] = []
        var found = 0
        for range in ranges {
            if seen.first(where: { $0.overlaps(range) }) != nil { found += 1 }
            seen.append(range)
        }
        return found
    }
}
