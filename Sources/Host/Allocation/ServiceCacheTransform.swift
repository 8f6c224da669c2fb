import HeraldCore
import HeraldKubeModels
import Synchronization

/// The Service informer's transform: what ``ServiceTranslation/cached(_:)`` keeps of a Service, with the port lists
/// and the kept annotations that Services have in common kept once.
///
/// Most Services of a cluster list one of a few port lists (`443/TCP`; `80/TCP` and `443/TCP`), and the annotations
/// Herald keeps are mostly the pool an address came from, the same for every Service of a pool. Each list and each
/// dictionary is an allocation of its own: a megabyte each at 10,000 Services. The first ``limit`` distinct ones of
/// each kind are shared by every Service that has the same; any other is kept as it is, so a tenant writing ever new
/// ones costs no more than without sharing. Shared ones are never dropped: at most ``limit`` of each kind, each no
/// bigger than what one Service keeps.
package final class ServiceCacheTransform: Sendable {
    /// How many distinct port lists, and how many distinct annotation sets, are shared.
    package static let limit = 1_024
    private let portLists = Mutex(SharedValues<[Service.Port]>(limit: limit))
    private let annotationSets = Mutex(SharedValues<[String: String]>(limit: limit))

    /// A transform with no list shared yet.
    package init() {}

    /// What the cache keeps of `service`.
    @Sendable package func callAsFunction(_ service: Service) -> Service {
        var kept = ServiceTranslation.cached(service)
        if let ports = kept.spec?.ports { kept.spec?.ports = portLists.withLock { $0.shared(ports) } }
        if let annotations = kept.metadata.annotations {
            kept.metadata.annotations = annotationSets.withLock { $0.shared(annotations) }
        }
        return kept
    }

    /// How many port lists are shared.
    package var sharedLists: Int { portLists.withLock { $0.count } }

    /// How many annotation sets are shared.
    package var sharedAnnotationSets: Int { annotationSets.withLock { $0.count } }
}
