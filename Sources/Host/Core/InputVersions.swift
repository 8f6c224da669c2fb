/// What a host's view of the cluster holds: per watched resource (`nodes`, `services`, `endpointslices`), the digest
/// of its cache's content (every object's key and resourceVersion, combined so that a host that listed and one that
/// watched the same objects arrive, and others leave, show the same number). Plus, local to this host and never
/// published, how many changes its caches have seen: two reads with the same count saw the same content.
///
/// A host publishes the versions its last reconcile pass planned on (``NodeMembership`` writes them into its
/// membership lease, as ``description``); a host about to claim an exclusive address waits until every other live
/// node has published versions *equal* to ones it planned on itself while it wanted the address (see
/// `ReconcileDecision`): that node then computed the same owner from the same inputs, and withdrew. Digests have no
/// order; equality is all they tell.
public struct InputVersions: Sendable, Hashable, CustomStringConvertible {
    /// The content digest of each resource's cache.
    public var versions: [String: UInt64]
    /// The changes this host's caches have seen (0 when read from another host's lease).
    public var changes: UInt64

    public init(_ versions: [String: UInt64] = [:], changes: UInt64 = 0) {
        self.versions = versions
        self.changes = changes
    }

    /// The part another host can compare: the digests alone.
    public var content: InputVersions { InputVersions(versions) }

    /// The text of the lease annotation: `resource=digest` pairs, sorted, comma-separated (empty: nothing yet).
    public var description: String {
        versions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// Reads an annotation written by ``description``; nil when it is malformed (at most 16 resources are read).
    public init?(annotation: String) {
        var versions: [String: UInt64] = [:]
        for pair in annotation.split(separator: ",", maxSplits: 16, omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let version = UInt64(parts[1]), !parts[0].isEmpty else { return nil }
            versions[String(parts[0])] = version
        }
        self.init(versions)
    }
}
