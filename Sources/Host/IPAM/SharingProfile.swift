/// What decides whether a service may share an address with others: MetalLB's compatibility rules.
struct SharingProfile: Hashable, Sendable {
    var key: String?
    var ports: Set<ServicePort>
    var backend: ServiceBackend

    /// Why a service with this profile may not share an address with `holder` (whose profile is `theirs`), or nil
    /// when it may: both set the same key, reach the same backend and expose no (protocol, port) in common.
    func conflict(with theirs: SharingProfile, holder: ServiceID) -> SharingConflict? {
        func refuse(_ reason: SharingConflict.Reason) -> SharingConflict {
            SharingConflict(holder: holder, reason: reason)
        }
        guard let theirKey = theirs.key else { return refuse(.holderDoesNotShare) }
        guard let key else { return refuse(.requesterDoesNotShare(holderKey: theirKey)) }
        guard key == theirKey else { return refuse(.differentKey(holderKey: theirKey, requesterKey: key)) }
        guard backend == theirs.backend else {
            return refuse(.differentBackend(holderBackend: theirs.backend, requesterBackend: backend))
        }
        if let clash = ports.intersection(theirs.ports).min() { return refuse(.portClash(clash)) }
        return nil
    }
}

/// Why a service may not share an address with the service that holds it.
public struct SharingConflict: Hashable, Sendable, CustomStringConvertible {
    /// Which rule the two services break.
    public enum Reason: Hashable, Sendable {
        /// The holder sets no `allow-shared-ip` key.
        case holderDoesNotShare
        /// The requester sets no `allow-shared-ip` key.
        case requesterDoesNotShare(holderKey: String)
        case differentKey(holderKey: String, requesterKey: String)
        /// Different `externalTrafficPolicy`, or `Local` with different selectors.
        case differentBackend(holderBackend: ServiceBackend, requesterBackend: ServiceBackend)
        /// Both expose this (protocol, port).
        case portClash(ServicePort)
    }

    /// The service that holds the address.
    public let holder: ServiceID
    public let reason: Reason

    public var description: String {
        switch reason {
        case .holderDoesNotShare:
            return "it is held by \(holder), which does not allow sharing (no allow-shared-ip annotation)"
        case .requesterDoesNotShare(let key):
            return "it is held by \(holder); set the annotation allow-shared-ip: \"\(key)\" to share it"
        case .differentKey(let theirs, let ours):
            return "it is held by \(holder) with sharing key \"\(theirs)\", not \"\(ours)\""
        case .differentBackend(let theirs, let ours):
            return "it is held by \(holder) with \(theirs), but this service has \(ours); sharing services need "
                + "the same backends"
        case .portClash(let port):
            return "it is held by \(holder), which also exposes \(port)"
        }
    }
}
