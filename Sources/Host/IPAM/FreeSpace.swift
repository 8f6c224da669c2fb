/// The free addresses of one contiguous run of indices `first...last`, with the lowest free index found in
/// O(log n) of the number of addresses released so far, whatever the size of the run (an IPv6 /64 is normal).
///
/// Indices at or above `cursor` have never been handed out in order, so they are free except the few taken out of
/// order (`takenAhead`, for requested addresses). Indices below `cursor` are taken except those released since
/// (`released`, with a heap for the lowest one). Taking the lowest is a heap pop or a cursor step; a cursor step skips
/// each out-of-order address once, so the cost is amortised O(log n).
struct FreeSpace: Sendable {
    let first: UInt128
    let last: UInt128
    /// The lowest index not yet reached in order; nil once `last` has been reached.
    private var cursor: UInt128?
    private var released: Set<UInt128> = []
    /// May hold stale entries (released indices taken again by `take(_:)`); they are skipped when popped.
    private var releasedHeap = MinHeap<UInt128>()
    private var takenAhead: Set<UInt128> = []
    /// How many indices are taken.
    private(set) var inUse: UInt128 = 0

    init(first: UInt128, last: UInt128) {
        precondition(first <= last)
        self.first = first
        self.last = last
        self.cursor = first
    }

    /// The number of indices, saturating at `UInt128.max` for a run covering all of them.
    var capacity: UInt128 { last - first == .max ? .max : last - first + 1 }

    var isFull: Bool { inUse == capacity }

    func contains(_ index: UInt128) -> Bool { first <= index && index <= last }

    func isFree(_ index: UInt128) -> Bool {
        guard contains(index) else { return false }
        if let cursor, index >= cursor { return takenAhead.isEmpty || !takenAhead.contains(index) }
        return !released.isEmpty && released.contains(index)
    }

    /// Takes `index`; false when it is outside the run or already taken.
    mutating func take(_ index: UInt128) -> Bool {
        guard contains(index) else { return false }
        if let cursor, index >= cursor {
            guard takenAhead.insert(index).inserted else { return false }
        } else {
            guard released.remove(index) != nil else { return false }
        }
        inUse += 1
        return true
    }

    /// Takes the lowest free index, or returns nil when the run is full.
    mutating func takeLowest() -> UInt128? {
        while let lowest = releasedHeap.popMin() {
            if released.remove(lowest) != nil {
                inUse += 1
                return lowest
            }
        }
        while let index = cursor {
            cursor = index == last ? nil : index + 1
            if !takenAhead.isEmpty && takenAhead.remove(index) != nil { continue }
            inUse += 1
            return index
        }
        return nil
    }

    /// Frees a taken `index`.
    mutating func free(_ index: UInt128) {
        precondition(contains(index) && !isFree(index), "freeing \(index), which is not taken")
        inUse -= 1
        if let cursor, index >= cursor {
            takenAhead.remove(index)
        } else if cursor.map({ $0 - 1 }) ?? last == index {
            // The last index reached in order: step the cursor back instead of remembering it.
            cursor = index
        } else {
            released.insert(index)
            releasedHeap.push(index)
            if releasedHeap.count > 2 * released.count + 64 { releasedHeap = MinHeap(Array(released)) }
        }
    }
}
