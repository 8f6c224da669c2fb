import HeraldPlanner

/// Where service addresses come from: static VIPs, a manifest directory, or Service statuses in Kubernetes. The
/// reconciler asks every source for its addresses on each pass, and a source tells it when they change.
package protocol AddressSource: Sendable {
    /// A name for logs and status (`static`, `kubernetes`, `manifests`).
    var name: String { get }
    /// The addresses to announce now.
    func addresses() -> [ServiceAddress]
    /// Signals each change of ``addresses()``; the reconciler re-plans when one arrives.
    func changes() -> AsyncStream<Void>
}
