/// Values many holders have in common, kept once: ``shared(_:)`` hands back the copy already kept of a value equal to
/// the one given, so that the holders share one allocation. The first `limit` distinct values are kept and never
/// dropped; any other is handed back as it is, so that a writer of ever new values costs no more than without
/// sharing. Pure.
package struct SharedValues<Value: Hashable & Sendable>: Sendable {
    package let limit: Int
    private var kept: Set<Value> = []

    /// A table that keeps at most `limit` distinct values.
    package init(limit: Int) { self.limit = limit }

    /// The kept value equal to `value`, if any; else `value`, kept for the next holder if there is room.
    package mutating func shared(_ value: Value) -> Value {
        if let index = kept.firstIndex(of: value) { return kept[index] }
        if kept.count < limit { kept.insert(value) }
        return value
    }

    /// How many values are kept.
    package var count: Int { kept.count }
}
