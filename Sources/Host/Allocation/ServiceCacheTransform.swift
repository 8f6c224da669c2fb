import HeraldKubeModels
import Synchronization

/// The Service informer's transform: what ``ServiceTranslation/cached(_:)`` keeps of a Service, with the port lists
/// that Services have in common kept once.
///
/// Most Services of a cluster list one of a few port lists (`443/TCP`; `80/TCP` and `443/TCP`), and each list is an
/// allocation of its own: a megabyte at 10,000 Services. The first ``limit`` distinct lists seen are shared by every
/// Service that lists the same; any other list is kept as it is, so a tenant writing ever new lists costs no more
/// than without sharing. The lists are never dropped: at most ``limit`` of them, of at most the ports a Service has.
package final class ServiceCacheTransform: Sendable {
    /// How many distinct port lists are shared.
    package static let limit = 1_024
    private let portLists = Mutex<Set<[Service.Port]>>([])

    /// A transform with no list shared yet.
    package init() {}

    /// What the cache keeps of `service`.
    @Sendable package func callAsFunction(_ service: Service) -> Service {
        var kept = ServiceTranslation.cached(service)
        if let ports = kept.spec?.ports { kept.spec?.ports = shared(ports) }
        return kept
    }

    /// The list equal to `ports` that is already kept, if any; else `ports`, kept for the next Service if there is
    /// room.
    func shared(_ ports: [Service.Port]) -> [Service.Port] {
        portLists.withLock { lists in
            if let index = lists.firstIndex(of: ports) { return lists[index] }
            if lists.count < Self.limit { lists.insert(ports) }
            return ports
        }
    }

    /// How many port lists are shared.
    package var sharedLists: Int { portLists.withLock { $0.count } }
}
