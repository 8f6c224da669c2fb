import HeraldPlanner

/// Where service addresses come from: static VIPs, a manifest directory, or Service statuses in Kubernetes. The
/// reconciler asks every source for its addresses on each pass, and a source tells it when they change.
package protocol AddressSource: Sendable {
    /// A name for logs and status (`static`, `kubernetes`, `manifests`).
    var name: String { get }
    /// The addresses to announce now.
    func addresses() -> [ServiceAddress]
    /// The addresses to announce now, with a digest of them: equal digests within one process, equal addresses (in
    /// any order; the planner's result does not depend on it). A source that keeps what it derived can give the
    /// digest without hashing every entry again.
    func digestedAddresses() -> DigestedAddresses
    /// Signals each change of ``addresses()``; the reconciler re-plans when one arrives.
    func changes() -> AsyncStream<Void>
}

/// A source's addresses and their digest (see ``AddressSource/digestedAddresses()``).
package struct DigestedAddresses: Sendable {
    package var addresses: [ServiceAddress]
    package var digest: Int

    package init(addresses: [ServiceAddress], digest: Int) {
        self.addresses = addresses
        self.digest = digest
    }

    /// The addresses and the digest of every entry, each hashed.
    package init(hashing addresses: [ServiceAddress]) {
        self.init(addresses: addresses, digest: Self.digest(of: addresses))
    }

    /// The order-independent digest of `addresses`: the sum of the entries' hashes.
    package static func digest(of addresses: [ServiceAddress]) -> Int {
        addresses.reduce(0) { $0 &+ $1.hashValue }
    }
}

extension AddressSource {
    package func digestedAddresses() -> DigestedAddresses { DigestedAddresses(hashing: addresses()) }
}
