/// Finds overlapping address ranges in O(n log n): sorted by their first address, a range overlaps an earlier one
/// exactly when it starts at or before the furthest end seen so far (of its family).
public enum RangeOverlaps {
    /// One overlap: the range at index `later` (in the order given) overlaps the one at `earlier`, the earlier-starting
    /// range reaching furthest.
    public struct Overlap: Hashable, Sendable {
        public var earlier: Int
        public var later: Int
    }

    /// Every range that overlaps one starting before it (ties broken by the given order), each with the range it
    /// overlaps. A range overlapping several earlier ones is reported once.
    public static func find(_ ranges: [IPRange]) -> [Overlap] {
        let order = ranges.indices.sorted { a, b in
            let (x, y) = (ranges[a], ranges[b])
            if x.lower != y.lower { return x.lower < y.lower }
            if x.upper != y.upper { return x.upper < y.upper }
            return a < b
        }
        var result: [Overlap] = []
        var furthest: Int?
        for index in order {
            let range = ranges[index]
            if let previous = furthest, ranges[previous].overlaps(range) {
                result.append(Overlap(earlier: previous, later: index))
            }
            if let previous = furthest, ranges[previous].family == range.family,
                ranges[previous].upper >= range.upper
            {
                continue
            }
            furthest = index
        }
        return result
    }
}
