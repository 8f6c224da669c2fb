/// What the store holds, as a number two hosts can compare, and how often it changed.
public struct StoreContent: Sendable, Equatable {
    /// The XOR of every object's fingerprint (its key and resourceVersion): equal on two hosts exactly when they
    /// hold the same versions of the same objects (up to a 64-bit collision), whether a host listed them or
    /// watched them arrive (and others leave). Not an order: a digest says nothing about which view is newer.
    public var digest: UInt64 = 0
    /// Changes since the store was made (monotone, local to this host): two reads with the same count saw the
    /// same content.
    public var changes: UInt64 = 0
    /// Lists so far (0: the store holds nothing yet from the API server).
    public var lists = 0

    public init(digest: UInt64 = 0, changes: UInt64 = 0, lists: Int = 0) {
        self.digest = digest
        self.changes = changes
        self.lists = lists
    }
}
