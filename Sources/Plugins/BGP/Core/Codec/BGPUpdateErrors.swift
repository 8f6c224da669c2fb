/// What the decoder found wrong in an UPDATE that did not warrant a session reset (RFC 7606 section 2).
public struct BGPUpdateErrors: Hashable, Sendable {
    /// Reasons to treat every route the UPDATE announces as withdrawn ("treat-as-withdraw").
    public var treatAsWithdraw: [String] = []
    /// Type codes of attributes dropped as malformed or repeated ("attribute discard").
    public var discarded: [UInt8] = []

    public init() {}

    public var isEmpty: Bool { treatAsWithdraw.isEmpty && discarded.isEmpty }
}
