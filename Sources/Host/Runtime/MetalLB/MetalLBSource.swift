import Foundation
import HeraldConfigModel
import HeraldKube
import HeraldKubeModels
import HeraldMetalLB
import Logging
import ServiceLifecycle
import Synchronization

/// `herald run --metallb-namespace NS`: MetalLB's IPAddressPools, L2Advertisements, BGPAdvertisements, BGPPeers,
/// BFDProfiles and Communities in NS, and the `kubernetes.io/basic-auth` Secrets there (a BGPPeer's `passwordSecret`:
/// its `password` key is written to the peer's password file), listed and watched (an informer per kind), translated by the translation
/// `herald convert` uses (``MetalLBDerivation``) and applied through ``MetalLBComposer`` (the reload path SIGHUP
/// uses). Bursts of changes are read once, `debounce` after the first.
///
/// An invalid result (a pool with a bad CIDR, an advertisement naming a pool that does not exist) changes nothing: the
/// last valid derivation stays in force, each problem is logged with the object's namespace/name and field, and
/// ``MetalLBConfigurationReport`` reports the verdict (a ConfigurationState of this process; a Warning Event
/// `InvalidConfiguration` on each invalid object, once per cluster).
package final class MetalLBSource: ServiceLifecycle.Service, Sendable {
    package struct Statistics: Sendable, Equatable {
        /// Derivations applied (a change of what runs).
        package var applied = 0
        /// Derivations rejected (invalid objects).
        package var rejected = 0
        /// Passes over the objects (each after a burst of changes).
        package var passes = 0
    }

    let client: KubeClient
    let namespace: String
    let composer: MetalLBComposer
    let report: MetalLBConfigurationReport?
    let debounce: Duration
    let passwordDirectory: String
    let logger: Logger
    let counters = Mutex(Statistics())
    /// The problems last reported, so that an unchanged invalid object is logged once, not on every pass.
    let reported = Mutex<[String]>([])

    package init(
        client: KubeClient, namespace: String, composer: MetalLBComposer, report: MetalLBConfigurationReport?,
        passwordDirectory: String, debounce: Duration = .milliseconds(200), logger: Logger
    ) {
        self.client = client
        self.namespace = namespace
        self.composer = composer
        self.report = report
        self.passwordDirectory = passwordDirectory
        self.debounce = debounce
        self.logger = logger
    }

    package var statistics: Statistics { counters.withLock { $0 } }

    /// The Secrets a BGPPeer's `passwordSecret` may name: MetalLB asks for this type.
    static let secretSelector = "type=\(Secret.basicAuth)"

    /// The objects in `namespace` now, listed once: the configuration Herald starts with.
    package static func list(client: KubeClient, namespace: String) async throws -> MetalLBObjectSet {
        var set = MetalLBObjectSet()
        func add<Kind: MetalLBKind>(_ kind: Kind.Type) async throws {
            do {
                set.add(try await client.listAll(MetalLBResource<Kind>.self, namespace: namespace).items)
            } catch var error as KubeError {
                error.message =
                    "cannot list \(Kind.plural).metallb.io/\(Kind.version) in namespace \(namespace) (are MetalLB's "
                    + "CRDs installed, and may Herald read them? see deploy/components/metallb): \(error.message)"
                throw error
            }
        }
        try await add(MetalLBKinds.IPAddressPool.self)
        try await add(MetalLBKinds.L2Advertisement.self)
        try await add(MetalLBKinds.BGPAdvertisement.self)
        try await add(MetalLBKinds.BGPPeer.self)
        try await add(MetalLBKinds.BFDProfile.self)
        try await add(MetalLBKinds.Community.self)
        do {
            set.add(
                secrets: try await client.listAll(Secret.self, namespace: namespace, fieldSelector: secretSelector)
                    .items)
        } catch var error as KubeError {
            error.message =
                "cannot list the \(Secret.basicAuth) Secrets in namespace \(namespace) (BGPPeers' passwordSecret; may "
                + "Herald read them? see deploy/components/metallb): \(error.message)"
            throw error
        }
        return set
    }

    /// The derivation of `objects`, or every problem that makes it invalid (errors only).
    package static func derive(
        _ objects: MetalLBObjectSet, namespace: String, passwordDirectory: String
    ) -> Result<(MetalLBDerivation.Derived, [PasswordFile]), ConfigErrors> {
        let conversion = objects.translate(passwordDirectory: passwordDirectory, namespace: namespace)
        guard conversion.errors.isEmpty else { return .failure(ConfigErrors(conversion.errors)) }
        let rendered = MetalLBDerivation.render(
            conversion, sources: ["metallb.io objects in namespace \(namespace)"], filePrefix: "metallb:")
        switch rendered {
        case .success(let derived): return .success((derived, conversion.passwordFiles))
        case .failure(let problems): return .failure(problems)
        }
    }

    /// Writes the BGP passwords of `files` (mode 0600, replaced atomically). Returns what could not be written.
    package static func writePasswords(_ files: [PasswordFile]) -> [String] {
        var failures: [String] = []
        for file in files {
            let directory = (file.path as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            do {
                try AtomicFile.write(file.password, to: file.path, mode: 0o600)
            } catch {
                failures.append("\(error)")
            }
        }
        return failures
    }

    package func run() async throws {
        let pools = informer(MetalLBKinds.IPAddressPool.self)
        let l2 = informer(MetalLBKinds.L2Advertisement.self)
        let bgp = informer(MetalLBKinds.BGPAdvertisement.self)
        let peers = informer(MetalLBKinds.BGPPeer.self)
        let bfd = informer(MetalLBKinds.BFDProfile.self)
        let communities = informer(MetalLBKinds.Community.self)
        let secrets = Informer<Secret>(
            client: client, options: .init(namespace: namespace, fieldSelector: Self.secretSelector), logger: logger)
        let streams = [
            pools.changes(), l2.changes(), bgp.changes(), peers.changes(), bfd.changes(), communities.changes(),
            secrets.changes(),
        ]
        let (changes, changed) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let synced: @Sendable () -> Bool = {
            pools.hasSynced && l2.hasSynced && bgp.hasSynced && peers.hasSynced && bfd.hasSynced
                && communities.hasSynced && secrets.hasSynced
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await pools.run() }
            group.addTask { await l2.run() }
            group.addTask { await bgp.run() }
            group.addTask { await peers.run() }
            group.addTask { await bfd.run() }
            group.addTask { await communities.run() }
            group.addTask { await secrets.run() }
            group.addTask { await self.report?.followLeadership() }
            for stream in streams {
                group.addTask {
                    for await _ in stream { changed.yield() }
                }
            }
            for await _ in changes.cancelOnGracefulShutdown() {
                // A burst (an apply of several objects, an edit in steps) is read once.
                do { try await Task.sleep(for: debounce) } catch { break }
                guard synced() else { continue }
                var objects = MetalLBObjectSet()
                objects.add(pools.store.list())
                objects.add(l2.store.list())
                objects.add(bgp.store.list())
                objects.add(peers.store.list())
                objects.add(bfd.store.list())
                objects.add(communities.store.list())
                objects.add(secrets: secrets.store.list())
                await pass(objects)
            }
            group.cancelAll()
        }
    }

    private func informer<Kind: MetalLBKind>(_ kind: Kind.Type) -> Informer<MetalLBResource<Kind>> {
        Informer(client: client, options: .init(namespace: namespace), logger: logger)
    }

    /// Derives from `objects` and applies the result, or reports why not.
    package func pass(_ objects: MetalLBObjectSet) async {
        counters.withLock { $0.passes += 1 }
        switch Self.derive(objects, namespace: namespace, passwordDirectory: passwordDirectory) {
        case .success(let (derived, passwords)):
            let wasInvalid = reported.withLock { seen in
                defer { seen = [] }
                return !seen.isEmpty
            }
            await report?.report([], changed: wasInvalid)
            let failures = Self.writePasswords(passwords)
            for failure in failures { logger.error("MetalLB: \(failure)") }
            guard composer.update(derived) else { return }
            counters.withLock { $0.applied += 1 }
            logger.info(
                "MetalLB objects applied",
                metadata: [
                    "namespace": .string(namespace), "pools": "\(derived.configuration.pools.count)",
                    "advertisements": "\(derived.configuration.advertisements.count)",
                    "instances": .string(derived.plugins.map(\.name).joined(separator: ",")),
                ])
        case .failure(let errors):
            let problems = errors.diagnostics
            counters.withLock { $0.rejected += 1 }
            let texts = problems.map(\.description)
            let repeated = reported.withLock { seen in
                defer { seen = texts }
                return seen == texts
            }
            if !repeated {
                for problem in problems {
                    let object = objects.reference(of: problem).map { "\($0.namespace ?? "")/\($0.name ?? "")" }
                    logger.error(
                        "MetalLB object invalid, the last valid configuration is kept: \(problem)",
                        metadata: object.map { ["object": .string($0)] } ?? [:])
                }
            }
            await report?.report(Self.byObject(problems, objects), changed: !repeated)
        }
    }

    /// The problems of each invalid object, objects in the order their first problem comes.
    static func byObject(_ problems: [Diagnostic], _ objects: MetalLBObjectSet) -> [(ObjectReference, [String])] {
        var byObject: [ObjectReference: [String]] = [:]
        var order: [ObjectReference] = []
        for problem in problems {
            guard let reference = objects.reference(of: problem) else { continue }
            if byObject[reference] == nil { order.append(reference) }
            byObject[reference, default: []].append(problem.description)
        }
        return order.map { ($0, byObject[$0] ?? []) }
    }
}
