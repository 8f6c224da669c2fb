import HeraldCore

/// What decides whether a service may share an address with others: MetalLB's compatibility rules, and the pool's
/// sharing scope.
struct SharingProfile: Hashable, Sendable {
    var key: String?
    var ports: Set<ServicePort>
    var backend: ServiceBackend

    /// Why `requester`, with this profile, may not share an address of pool `pool` (of scope `scope`) with `holder`
    /// (whose profile is `theirs`), or nil when it may: both set the same key, reach the same backend and expose no
    /// (protocol, port) in common, and with `SharingScope.namespace` both are of one namespace.
    func conflict(
        with theirs: SharingProfile, holder: ServiceID, requester: ServiceID, pool: String, scope: SharingScope
    ) -> SharingConflict? {
        func refuse(_ reason: SharingConflict.Reason) -> SharingConflict {
            SharingConflict(holder: holder, requester: requester, reason: reason)
        }
        if scope == .namespace && holder.namespace != requester.namespace {
            return refuse(.otherNamespace(pool: pool))
        }
        guard let theirKey = theirs.key else { return refuse(.holderDoesNotShare) }
        guard let key else { return refuse(.requesterDoesNotShare) }
        guard key == theirKey else { return refuse(.differentKey) }
        guard backend == theirs.backend else {
            return refuse(.differentBackend(holderBackend: theirs.backend, requesterBackend: backend))
        }
        if let clash = ports.intersection(theirs.ports).min() { return refuse(.portClash(clash)) }
        return nil
    }
}

/// Why a service may not share an address with the service that holds it.
///
/// The sharing key is a secret of the services that set it (with `SharingScope.cluster` it is the only permission
/// to share), so no value here holds a key and no message prints one. A holder of another namespace is not named
/// either, and the message for it is the same whatever the rule broken, so that it tells nothing about the
/// holder's key, ports or backend.
public struct SharingConflict: Hashable, Sendable, CustomStringConvertible {
    /// Which rule the two services break.
    public enum Reason: Hashable, Sendable {
        /// The holder sets no `allow-shared-ip` key.
        case holderDoesNotShare
        /// The requester sets no `allow-shared-ip` key.
        case requesterDoesNotShare
        /// Both set keys, and they differ.
        case differentKey
        /// Different `externalTrafficPolicy`, or `Local` with different selectors.
        case differentBackend(holderBackend: ServiceBackend, requesterBackend: ServiceBackend)
        /// Both expose this (protocol, port).
        case portClash(ServicePort)
        /// The holder is of another namespace, and the pool (`sharingScope: namespace`) shares within one only.
        case otherNamespace(pool: String)
    }

    /// The service that holds the address. Named in the message only when it is of the requester's namespace.
    public let holder: ServiceID
    /// The service that asked for the address.
    public let requester: ServiceID
    public let reason: Reason

    public init(holder: ServiceID, requester: ServiceID, reason: Reason) {
        self.holder = holder
        self.requester = requester
        self.reason = reason
    }

    public var description: String {
        guard holder.namespace == requester.namespace else {
            if case .otherNamespace(let pool) = reason {
                return "it is held by a Service of another namespace, and pool \"\(pool)\" shares addresses only "
                    + "among Services of one namespace (sharingScope: namespace)"
            }
            return "it is held by a Service of another namespace that it cannot share it with (sharing needs the "
                + "same allow-shared-ip key, the same backends and no port in common)"
        }
        switch reason {
        case .holderDoesNotShare:
            return "it is held by \(holder), which does not allow sharing (no allow-shared-ip annotation)"
        case .requesterDoesNotShare:
            return "it is held by \(holder); set the same allow-shared-ip annotation as \(holder) to share it"
        case .differentKey:
            return "it is held by \(holder) with a different allow-shared-ip key"
        case .differentBackend(let theirs, let ours):
            return "it is held by \(holder) with \(theirs), but this service has \(ours); sharing services need "
                + "the same backends"
        case .portClash(let port):
            return "it is held by \(holder), which also exposes \(port)"
        case .otherNamespace:
            // Not reached: a holder of the requester's namespace is never refused for its namespace.
            return "it is held by \(holder)"
        }
    }
}
