/// A map of at most `limit` entries that forgets the least recently used ones gradually: entries live in two
/// generations, a lookup moves an entry into the current one, and when the current one has `limit / 2` entries the
/// previous generation (entries not used since the last turn) is dropped and the current one becomes the previous.
/// Every operation is O(1); an entry in use is never dropped for being old, and a full cache never forgets
/// everything at once. Pure: a value, no clock.
public struct GenerationalCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public let limit: Int
    private var current: [Key: Value] = [:]
    private var previous: [Key: Value] = [:]

    /// - Parameter limit: the most entries kept (at least 2).
    public init(limit: Int) {
        self.limit = max(2, limit)
    }

    /// How many entries it holds (never more than `limit`).
    public var count: Int { current.count + previous.count }

    /// The value for `key`, which becomes the most recently used; nil when it is not (or no longer) kept.
    public mutating func get(_ key: Key) -> Value? {
        if let value = current[key] { return value }
        guard let value = previous.removeValue(forKey: key) else { return nil }
        insert(key, value)
        return value
    }

    /// Whether `key` is kept, without making it recently used.
    public func contains(_ key: Key) -> Bool { current[key] != nil || previous[key] != nil }

    /// Sets the value for `key` (nil removes it); it becomes the most recently used.
    public mutating func set(_ key: Key, _ value: Value?) {
        guard let value else {
            current[key] = nil
            previous[key] = nil
            return
        }
        if current[key] != nil {
            current[key] = value
            return
        }
        previous[key] = nil
        insert(key, value)
    }

    private mutating func insert(_ key: Key, _ value: Value) {
        if current.count >= limit / 2 {
            previous = current
            current = [:]
            current.reserveCapacity(limit / 2)
        }
        current[key] = value
    }
}
