/// How far a host's view of the cluster reached: per watched resource (`nodes`, `services`, `endpointslices`), the
/// cache's content version: the highest resourceVersion of an object it listed or a change it watched. Not the
/// stream position: a host that lists after a restart is at the store's current revision, which another host's idle
/// watch never reaches, although both hold the same objects.
///
/// A host publishes the versions its last completed reconcile pass was planned on (``NodeMembership`` writes them
/// into its membership lease); another host that is about to claim an exclusive address after an eligibility change
/// waits until every live node's published versions cover the versions its own plan saw. The old owner has then
/// planned on a view that includes the change and withdrawn: a handover is confirmed, not assumed after a margin.
/// resourceVersions are compared as the integers the API server (etcd) gives; a version that is not one is never
/// covered, so a claim then waits for the old owner's lease to lapse instead.
public struct InputVersions: Sendable, Hashable, CustomStringConvertible {
    public var versions: [String: UInt64]

    public init(_ versions: [String: UInt64] = [:]) { self.versions = versions }

    /// Whether this view is at least as recent as `other` for every resource `other` names.
    public func covers(_ other: InputVersions) -> Bool {
        other.versions.allSatisfy { resource, version in (versions[resource] ?? 0) >= version }
    }

    /// The text of the lease annotation: `resource=version` pairs, sorted, comma-separated (empty: nothing yet).
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
        self.versions = versions
    }
}
