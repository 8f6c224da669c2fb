import HeraldAllocation
import HeraldConfigModel
import HeraldCore
import HeraldIPAM
import HeraldKube
import HeraldKubeModels
import HeraldPlanner
import Logging
import Synchronization

/// The addresses Kubernetes Services show in their status, whichever host assigned them: every host reads the same
/// statuses, so every host agrees on what exists. Only Services Herald serves (type LoadBalancer, its class) count,
/// and of their addresses only those the pools allow: any holder of `services/status` (every node's service account,
/// and so every plugin) can write a status, so an address in no pool, outside the pool the Service's `address-pool`
/// annotation names, or in another pool than the Service's other addresses is not announced, and said once.
package struct KubernetesSource: AddressSource {
    let services: Informer<Service>
    let slices: Informer<EndpointSlice>
    let config: ConfigStore
    let refusals: RefusalLog
    let screening = ScreeningGeneration()

    package init(
        services: Informer<Service>, slices: Informer<EndpointSlice>, config: ConfigStore,
        logger: Logger = Logger(label: "herald.kubernetes-source")
    ) {
        self.services = services
        self.slices = slices
        self.config = config
        refusals = RefusalLog(logger: logger)
    }

    package var name: String { "kubernetes" }

    /// The index of EndpointSlices by the Service they belong to (`namespace/name`), which ``KubernetesMode`` gives
    /// the slices' informer: a Service's endpoints are found without a scan of every slice.
    package static let slicesByService: (String, ObjectStore<EndpointSlice>.IndexFunction) = (
        "service",
        { slice in
            guard let name = slice.metadata.labels?[EndpointSlice.serviceNameLabel] else { return [] }
            return ["\(slice.metadata.namespace ?? "default")/\(name)"]
        }
    )

    /// Read in place from the Service cache (no copy of it per pass); the endpoints of `Local` Services come from
    /// their own slices, by index. Each version of a Service is screened once, not on every pass: its screening is
    /// kept with it in the cache until the Service or the configuration's pools or class change, so a pass over
    /// 10,000 unchanged Services reads 10,000 kept results.
    package func addresses() -> [ServiceAddress] { digestedAddresses().addresses }

    /// The addresses, and their digest summed from the digests kept with each screening (only the entries of `Local`
    /// Services, whose ready nodes are read on every pass, are hashed again).
    package func digestedAddresses() -> DigestedAddresses {
        let configuration = config.current
        let generation = screening.generation(for: configuration)
        var refused: [Refusal] = []
        var result: [ServiceAddress] = []
        var digest = 0
        result.reserveCapacity(services.store.count)
        services.store.forEach(derivingOnce: generation, { Self.screen($0, in: configuration) }) { screened in
            if let address = screened.address {
                result.append(address)
                digest &+= screened.digest
            }
            if !screened.refused.isEmpty { refused += screened.refused }
        }
        refusals.note(refused)
        for index in result.indices where result[index].trafficPolicy != .cluster {
            let slices = self.slices.store.byIndex(Self.slicesByService.0, result[index].service.description)
            digest &-= result[index].hashValue
            result[index].trafficPolicy = ServiceTranslation.readyNodes(in: slices)
            digest &+= result[index].hashValue
        }
        return DigestedAddresses(addresses: result, digest: digest)
    }

    /// A status address that is not announced, and why.
    package struct Refusal: Hashable, Sendable, CustomStringConvertible {
        package var service: ServiceID
        package var address: IPAddress
        package var reason: String

        package var description: String {
            "not announcing \(address) of the status of \(service): \(reason) (a status Herald did not write)"
        }
    }

    /// What a Service's status gives the planner: the address entry (nil when no address may be announced) and the
    /// addresses refused.
    package struct Screened: Hashable, Sendable {
        package let address: ServiceAddress?
        package let refused: [Refusal]
        /// The hash of ``address``, made once with it.
        package let digest: Int

        package init(address: ServiceAddress?, refused: [Refusal]) {
            self.address = address
            self.refused = refused
            digest = address?.hashValue ?? 0
        }
    }

    /// The service address a Service's status shows, if it is one Herald serves, keeping only the addresses the pools
    /// allow: each must lie in a pool, in the pool the `address-pool` annotation names when it names one, and in the
    /// pool of the Service's first such address (an entry has one pool, which decides its advertisements). Under
    /// `externalTrafficPolicy: Local` its ready nodes are left for the caller to fill in.
    package static func screen(_ service: Service, in configuration: HeraldConfiguration) -> Screened {
        guard ServiceTranslation.isServed(service, loadBalancerClass: configuration.loadBalancerClass),
            let addresses = ServiceTranslation.statusAddresses(of: service), !addresses.isEmpty
        else { return Screened(address: nil, refused: []) }
        let id = ServiceID(service)
        let named = RequestedAllocation.pool(in: service.metadata.annotations ?? [:])
        var pool: String?
        var kept: [IPAddress] = []
        var refused: [Refusal] = []
        for address in addresses {
            func refuse(_ reason: String) { refused.append(Refusal(service: id, address: address, reason: reason)) }
            guard let containing = configuration.pool(containing: address)?.name else {
                refuse("it is in no address pool")
                continue
            }
            if let named, containing != named {
                refuse("it is in pool \"\(containing)\", but the Service's address-pool annotation names \"\(named)\"")
                continue
            }
            if let pool, containing != pool {
                refuse("it is in pool \"\(containing)\", but the Service's other addresses are in pool \"\(pool)\"")
                continue
            }
            guard !kept.contains(address) else { continue }
            pool = containing
            kept.append(address)
        }
        guard let pool else { return Screened(address: nil, refused: refused) }
        return Screened(
            address: ServiceAddress(
                service: id, addresses: kept, pool: pool,
                trafficPolicy: service.spec?.externalTrafficPolicy == "Local" ? .local(readyNodes: []) : .cluster),
            refused: refused)
    }

    /// Numbers the configurations a screening depends on (the pools and the Service class): a screening kept with
    /// a Service is reused only under the generation it was made in.
    final class ScreeningGeneration: Sendable {
        private struct Inputs: Equatable {
            var loadBalancerClass: String?
            var pools: [Pool]
        }
        private let last = Mutex<(inputs: Inputs?, generation: UInt64)>((nil, 0))

        /// The generation of `configuration`: the last one's when the pools and class are the same, else the next.
        func generation(for configuration: HeraldConfiguration) -> UInt64 {
            let inputs = Inputs(loadBalancerClass: configuration.loadBalancerClass, pools: configuration.pools)
            return last.withLock { last in
                if last.inputs != inputs {
                    last = (inputs, last.generation &+ 1)
                }
                return last.generation
            }
        }
    }

    /// Says each refused status address once: a warning when it first appears, nothing on the passes after, again
    /// if it goes and comes back. It remembers only the refusals of the last pass (no more than the cache holds), and
    /// a pass says at most `perPass` new ones by name, then how many more.
    final class RefusalLog: Sendable {
        let logger: Logger
        let perPass: Int
        private let said = Mutex<Set<Refusal>>([])

        init(logger: Logger, perPass: Int = 20) {
            self.logger = logger
            self.perPass = perPass
        }

        /// Takes the refusals of one pass; returns the new ones (those it logs).
        @discardableResult
        func note(_ refusals: [Refusal]) -> [Refusal] {
            let current = Set(refusals)
            let fresh = said.withLock { said -> [Refusal] in
                if said.isEmpty && current.isEmpty { return [] }
                let fresh = current.subtracting(said)
                said = current
                return fresh.sorted { ($0.service, $0.address) < ($1.service, $1.address) }
            }
            for refusal in fresh.prefix(perPass) { logger.warning("speaker: \(refusal)") }
            if fresh.count > perPass {
                logger.warning(
                    "speaker: not announcing \(fresh.count - perPass) more status addresses outside the pools")
            }
            return fresh
        }
    }

    package func changes() -> AsyncStream<Void> { .merging(services.changes(), slices.changes()) }
}
