/// What the decoder found wrong in an UPDATE that did not warrant a session reset (RFC 7606 section 2).
package struct BGPUpdateErrors: Hashable, Sendable {
    /// Reasons to treat every route the UPDATE announces as withdrawn ("treat-as-withdraw").
    package var treatAsWithdraw: [String] = []
    /// Type codes of attributes dropped as malformed or repeated ("attribute discard").
    package var discarded: [UInt8] = []

    package init() {}

    package var isEmpty: Bool { treatAsWithdraw.isEmpty && discarded.isEmpty }
}
