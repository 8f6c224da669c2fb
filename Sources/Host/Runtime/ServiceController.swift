import Foundation
import HeraldAllocation
import HeraldConfig
import HeraldConfigModel
import HeraldCore
import HeraldIPAM
import HeraldKube
import HeraldKubeModels
import Logging
import Synchronization

/// The allocator role on Kubernetes: one host per cluster, elected with the `herald-allocator` Lease, assigns
/// addresses to `LoadBalancer` Services and writes them to `status.loadBalancer.ingress` and the
/// pool annotations (``PoolAnnotations``: `herald.dev/ip-allocated-from-pool`, and MetalLB's in MetalLB mode), with
/// Events on the Service.
///
/// Each leadership term starts from what the API server shows: every address already in a status is taken back
/// before any Service gets a new one (``AllocationState/restoring(_:namespaceLabels:pools:loadBalancerClass:)``).
/// Then one serial loop takes Service, Namespace and configuration changes in batches and decides; the term's
/// writers (``writeConcurrency`` of them) write the statuses meanwhile, one write at a time per Service, the latest
/// decision of a Service replacing one not yet written, so that writing never waits for deciding or the reverse. A
/// host checks that it still leads before each write, bounds each write by
/// its renew deadline, and a term ends the moment the lease is lost. Each write names the resourceVersion it was
/// decided on; one the API server refuses as stale (409) is decided again on the Service the cache shows next.
package final class ServiceController: Sendable {
    enum Input: Hashable, Sendable {
        case service(ServiceID)
        case namespace(String)
        case configuration
    }

    let client: KubeClient
    let services: Informer<Service>
    let namespaces: Informer<Namespace>
    let elector: LeaderElector
    let recorder: EventRecorder
    let config: ConfigStore
    let logger: Logger
    /// MetalLB mode: status writes carry MetalLB's pool annotation too (see ``PoolAnnotations``).
    let metallbMode: Bool
    /// Whether status writes carry the pool annotation (they do unless the API server drops metadata there).
    let annotationWritten = Mutex(true)
    /// Status writers per term: concurrent status writes at most.
    let writeConcurrency = 32
    /// Status writes under way: Events wait while there are any (see
    /// ``holdsEvent(decided:now:busy:writesPerSecond:)``).
    let statusWrites = Mutex(0)
    /// Status writes sent, per second (see ``WriteRate``).
    let writeRate = Mutex(WriteRate())
    /// How long an Event waits at most for the status writes to pause.
    static let eventDelayLimit: Duration = .seconds(2)
    /// How long it waits at most during a burst of status writes (``burstRate`` or more a second): a burst of
    /// Services gets its addresses first, without Events competing for the API server, and its Events follow when it
    /// ends, or this long after each was decided if it goes on.
    static let eventDelayLimitInBurst: Duration = .seconds(30)
    static let burstRate = 20
    /// The pools' usage after the last batch of this term; nil while not leading.
    let usage = Mutex<[PoolStatistics]?>(nil)
    /// When this term's allocator first saw each served Service that shows no address yet (from the informer's
    /// queue), until the write that gives it its first address: ``assigned`` is told the time between. One entry per
    /// Service waiting for an address, none per Service that has one.
    let awaiting = Mutex<[ServiceID: ContinuousClock.Instant]>([:])
    /// Told how long a Service waited for its first address (the status metrics).
    let assigned: @Sendable (Duration) -> Void

    /// The pools' usage while this host leads, else nil.
    package var poolStatistics: [PoolStatistics]? { usage.withLock { $0 } }

    package init(
        client: KubeClient, services: Informer<Service>, namespaces: Informer<Namespace>, elector: LeaderElector,
        recorder: EventRecorder, config: ConfigStore, metallbMode: Bool = false, logger: Logger,
        assigned: @escaping @Sendable (Duration) -> Void = { _ in }
    ) {
        self.assigned = assigned
        self.client = client
        self.services = services
        self.namespaces = namespaces
        self.elector = elector
        self.recorder = recorder
        self.config = config
        self.metallbMode = metallbMode
        self.logger = logger
    }

    /// Serves each leadership term until cancelled.
    package func run() async {
        for await leading in elector.leadership() where leading {
            logger.info("allocator: leading; restoring every Service's addresses before serving")
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.serveTerm() }
                group.addTask {
                    for await still in self.elector.leadership() where !still { return }
                }
                await group.next()
                group.cancelAll()
            }
            if !Task.isCancelled { logger.warning("allocator: lost the lease; writing nothing more") }
        }
    }

    /// One leadership term: restore, serve every Service, then follow changes until cancelled.
    func serveTerm() async {
        do {
            try await services.waitUntilSynced()
            try await namespaces.waitUntilSynced()
        } catch { return }
        let inbox = WorkQueue<Input>()
        awaiting.withLock { $0 = [:] }
        defer { awaiting.withLock { $0 = [:] } }
        let (events, eventSink) = AsyncStream.makeStream(of: ([AllocationState.Event], ContinuousClock.Instant).self)
        let written = WriteLog()
        let writes = PendingWrites()
        await withTaskGroup(of: Void.self) { group in
            // The term's status writers: each takes the next Service whose status is to be written, so writes go on
            // while the loop decides the next batch.
            for _ in 0..<writeConcurrency {
                group.addTask { await self.writer(writes, written: written, inbox: inbox) }
            }
            // Feeds: Service keys from the informer's queue, namespaces whose labels change, configuration reloads.
            group.addTask {
                for await key in self.services.queue {
                    let id = ServiceID(namespace: key.namespace ?? "default", name: key.name)
                    self.noteWaiting(id, self.services.store.get(key))
                    inbox.add(.service(id))
                    self.services.queue.done(key)
                }
            }
            group.addTask {
                for await event in self.namespaces.events() { inbox.add(.namespace(event.key.name)) }
            }
            group.addTask {
                for await _ in self.config.changes() { inbox.add(.configuration) }
            }
            group.addTask {
                // A batch's Events as the loop made them: one element each in the stream, not one per Event (a
                // burst's thousands of Events wait here for its statuses).
                for await (batch, decided) in events {
                    for event in batch {
                        await self.afterStatusWrites(inbox, writes, decided: decided)
                        await self.record(event)
                    }
                }
            }
            group.addTask {
                await self.loop(inbox: inbox, writes: writes, written: written, events: eventSink)
                eventSink.finish()
            }
            await group.next()
            group.cancelAll()
            inbox.shutdown()
            writes.queue.shutdown()
            eventSink.finish()
        }
    }

    /// The serial loop of one term.
    func loop(
        inbox: WorkQueue<Input>, writes: PendingWrites, written: WriteLog,
        events: AsyncStream<([AllocationState.Event], ContinuousClock.Instant)>.Continuation
    ) async {
        let configuration = config.current
        var pools = configuration.pools
        let labels = namespaceLabels()
        let start = ContinuousClock.now
        var (state, effects): (AllocationState, AllocationState.Effects)
        do {
            (state, effects) = try AllocationState.restoring(
                services.store.list(), namespaceLabels: { labels[$0] ?? [:] }, pools: pools,
                loadBalancerClass: configuration.loadBalancerClass)
        } catch {
            logger.error("allocator: the pools are invalid (\(error)); serving nothing")
            return
        }
        let served = state.allocator.serviceCount
        var all = effects.touched
        all.formUnion(state.allocator.services)
        // Through the term's writers, like every batch after it, and waited for: the term serves once the statuses
        // it restored are written.
        writes.submit(Self.jobs(all, cleared: effects.cleared, state: state))
        await drained(writes)
        if !effects.events.isEmpty { events.yield((effects.events, .now)) }
        let restored = state.allocator.statistics()
        usage.withLock { $0 = restored }
        defer { usage.withLock { $0 = nil } }
        logger.info(
            "allocator: restored and served \(served) services in \(ContinuousClock.now - start)",
            metadata: ["pending": "\(state.allocator.pending.count)"])

        while !Task.isCancelled {
            let batch = await inbox.nextBatch(limit: 512)
            if batch.isEmpty { break }
            var effects = AllocationState.Effects()
            var labels: [String: [String: String]]?
            for input in batch {
                switch input {
                case .service(let id):
                    if let service = services.store.get(ObjectKey(namespace: id.namespace, name: id.name)) {
                        labels = labels ?? namespaceLabels()
                        effects.merge(state.update(service, namespaceLabels: labels?[id.namespace] ?? [:]))
                        effects.touched.insert(id)
                    } else {
                        effects.merge(state.delete(id))
                    }
                case .namespace(let name):
                    labels = labels ?? namespaceLabels()
                    // A scan, not an index: namespaces' labels seldom change, and an index of 10,000 Services by
                    // namespace costs half a megabyte for it.
                    for service in services.store.compactMap({ $0.metadata.namespace == name ? $0 : nil }) {
                        effects.merge(state.update(service, namespaceLabels: labels?[name] ?? [:]))
                    }
                case .configuration:
                    let next = config.current
                    guard next.pools != pools else { continue }
                    do {
                        effects.merge(try state.setPools(next.pools))
                        pools = next.pools
                        logger.info("allocator: pools changed; displaced services re-assigned")
                    } catch {
                        logger.error("allocator: new pools refused (\(error)); keeping the old ones")
                    }
                }
            }
            // Handed to the writers, not waited for: the next batch is decided while they write.
            writes.submit(Self.jobs(effects.touched, cleared: effects.cleared, state: state))
            written.prune(caughtUpWith: services.store)
            let decided = ContinuousClock.now
            if !effects.events.isEmpty { events.yield((effects.events, decided)) }
            // The pools' usage (metrics, MetalLB's pool status) after every batch: the allocator keeps the counts, so
            // this reads the pools only. Read before the lock: readers never wait for it.
            let statistics = state.allocator.statistics()
            usage.withLock { $0 = statistics }
            for input in batch { inbox.done(input) }
        }
    }

    /// Notes when a served Service without an address was first seen (forgets one that is gone or has one).
    func noteWaiting(_ id: ServiceID, _ service: Service?) {
        let waits =
            service.map {
                ServiceTranslation.isServed($0, loadBalancerClass: config.current.loadBalancerClass)
                    && (ServiceTranslation.statusAddresses(of: $0) ?? []).isEmpty
            } ?? false
        let now = ContinuousClock.now
        awaiting.withLock { awaiting in
            if waits {
                if awaiting[id] == nil { awaiting[id] = now }
            } else if service == nil {
                awaiting[id] = nil
            }
        }
    }

    func namespaceLabels() -> [String: [String: String]] {
        Dictionary(
            namespaces.store.list().map { ($0.metadata.name ?? "", $0.metadata.labels ?? [:]) },
            uniquingKeysWith: { a, _ in a })
    }

    // MARK: Writing

    /// The status last written for a Service, and the resourceVersion it produced: until the informer shows that
    /// version, the cached object is older than our own write and must not cause another.
    struct WrittenStatus: Sendable {
        var desired: AllocationState.Desired
        /// The pool annotations the write left.
        var annotations: PoolAnnotations
        var resourceVersion: UInt64
    }

    /// The statuses written in one term, until the cache shows them: an entry the informer has caught up with says
    /// nothing the cache does not, so ``prune(caughtUpWith:)`` drops those once the log has doubled since the last
    /// time (amortised O(1) per write; a host holding 10,000 Services does not keep 10,000 entries).
    final class WriteLog: Sendable {
        let entries = Mutex<[ServiceID: WrittenStatus]>([:])
        let nextPrune = Mutex(1024)

        /// Drops the entries whose Service the cache shows at or past the written version (or no longer holds).
        func prune(caughtUpWith store: ObjectStore<Service>) {
            let threshold = nextPrune.withLock { $0 }
            // Under the log's lock, reading the cache (its lock is never held while this one is taken).
            let left = entries.withLock { log -> Int? in
                guard log.count >= threshold else { return nil }
                var stale: [ServiceID] = []
                for (id, entry) in log {
                    let cached = store.get(ObjectKey(namespace: id.namespace, name: id.name))
                    let version = cached.map { $0.metadata.resourceVersion.flatMap { UInt64($0) } ?? 0 }
                    if version.map({ $0 >= entry.resourceVersion }) ?? true { stale.append(id) }
                }
                for id in stale { log[id] = nil }
                return log.count
            }
            if let left { nextPrune.withLock { $0 = max(1024, 2 * left) } }
        }
    }

    /// The status each of `ids` is to show: its desired addresses, or none for a cleared one.
    static func jobs(
        _ ids: Set<ServiceID>, cleared: Set<ServiceID>, state: AllocationState
    ) -> [(ServiceID, AllocationState.Desired)] {
        ids.sorted().compactMap { id in
            if let desired = state.desired(id) { return (id, desired) }
            if cleared.contains(id) { return (id, AllocationState.Desired(addresses: [], pool: nil)) }
            return nil
        }
    }

    /// The statuses decided and not yet handed to a writer: the last decision per Service, and the queue of Services
    /// (one writer at a time per Service: a Service decided again while its status is being written waits for that
    /// write, then is written with the newer decision).
    final class PendingWrites: Sendable {
        let queue = WorkQueue<ServiceID>()
        let latest = Mutex<[ServiceID: AllocationState.Desired]>([:])

        func submit(_ jobs: [(ServiceID, AllocationState.Desired)]) {
            guard !jobs.isEmpty else { return }
            latest.withLock { latest in
                for (id, desired) in jobs { latest[id] = desired }
            }
            for (id, _) in jobs { queue.add(id) }
        }

        /// Whether a status waits for a writer.
        var isEmpty: Bool { latest.withLock { $0.isEmpty } }
    }

    /// One of the term's writers: writes the latest decision for each Service it takes, until the term ends. A failed
    /// write is retried after a second through the inbox.
    func writer(_ writes: PendingWrites, written: WriteLog, inbox: WorkQueue<Input>) async {
        for await id in writes.queue {
            // Counted as under way before it leaves `latest`, so that it is never neither.
            statusWrites.withLock { $0 += 1 }
            defer {
                statusWrites.withLock { $0 -= 1 }
                writes.queue.done(id)
            }
            guard let desired = writes.latest.withLock({ $0.removeValue(forKey: id) }) else { continue }
            await attempt(id, desired, written: written, inbox: inbox)
        }
    }

    /// Writes one status; a write that fails is retried through the inbox.
    func attempt(
        _ id: ServiceID, _ desired: AllocationState.Desired, written: WriteLog, inbox: WorkQueue<Input>
    ) async {
        do {
            try await write(id, desired, written: written)
        } catch is CancellationError {
            // The term is over: the next one restores from what the API server shows.
        } catch let error as KubeError where error.isConflict {
            // Decided on an object the API server no longer holds: nothing was written. The cache's update queues
            // the Service again, to be decided on what it shows then; the retry below only covers an update that
            // never comes.
            logger.info("allocator: \(id) changed since it was decided; deciding again")
            Self.retry(id, inbox: inbox)
        } catch {
            logger.warning("allocator: cannot write the status of \(id): \(error); retrying")
            Self.retry(id, inbox: inbox)
        }
    }

    /// Returns once no status waits for a writer and none is being written (a writer counts a write in
    /// `statusWrites` before it takes it out of `writes`), or when the term ends.
    func drained(_ writes: PendingWrites) async {
        while !Task.isCancelled && !(writes.isEmpty && statusWrites.withLock { $0 } == 0) {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Queues a Service again after a second, to be decided anew.
    static func retry(_ id: ServiceID, inbox: WorkQueue<Input>) {
        Task {
            try? await Task.sleep(for: .seconds(1))
            inbox.add(.service(id))
        }
    }

    /// Brings one Service's status and pool annotation to `desired`, if the API server shows something else.
    ///
    /// The patch names the resourceVersion of the object the decision was made on (the cached one, or the one our
    /// own last write produced when the cache does not show it yet), so the API server refuses it with 409 Conflict
    /// if the Service changed since. It is sent only while this host leads and is abandoned at the renew deadline:
    /// no write of this host is in flight once it has stepped down.
    func write(
        _ id: ServiceID, _ desired: AllocationState.Desired, written: WriteLog
    )
        async throws
    {
        guard let service = services.store.get(ObjectKey(namespace: id.namespace, name: id.name)) else { return }
        // The cache may not show our own last write yet: then that write is what the API server holds.
        let version = service.metadata.resourceVersion.flatMap { UInt64($0) } ?? 0
        var shown = ServiceTranslation.statusAddresses(of: service) ?? []
        var annotations = PoolAnnotations(of: service)
        var basis = service.metadata.resourceVersion
        if let last = written.entries.withLock({ $0[id] }), version < last.resourceVersion {
            shown = last.desired.addresses
            annotations = last.annotations
            basis = String(last.resourceVersion)
        }
        let annotates = annotationWritten.withLock { $0 }
        guard shown != desired.addresses || (annotates && !annotations.say(desired.pool, metallbMode: metallbMode))
        else { return }
        // One merge patch through the status subresource writes the status and the pool annotation together (the
        // API server keeps the spec of a status write, not its metadata). An API server that drops metadata there
        // gets no annotation: said once, and the pool is not compared any more (no write loop). Herald needs no
        // permission to patch Services themselves.
        let target = annotations.written(desired.pool, metallbMode: metallbMode)
        let ingress = try String(
            decoding: JSONEncoder().encode(desired.addresses.map { Service.Ingress(ip: $0.description) }),
            as: UTF8.self)
        let quotedBasis = try basis.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        let versioned = quotedBasis.map { #""resourceVersion":\#($0),"# } ?? ""
        let body =
            #"{"metadata":{\#(versioned)"annotations":\#(try Self.patch(from: annotations, to: target))},"#
            + #""status":{"loadBalancer":{"ingress":\#(ingress)}}}"#
        guard let left = elector.leadershipLeft else { throw CancellationError() }
        // Counted here, where a write is sent: a Service taken by a writer whose status already shows its decision
        // (a tenant patching a pending Service 20 times a second) is no burst.
        writeRate.withLock { $0.add(at: .now) }
        let client = self.client
        let result = try await withTimeLimit(left, "status write of \(id)") {
            try await client.patch(
                Service.self, name: id.name, namespace: id.namespace, subresource: "status", body: Array(body.utf8))
        }
        if annotates, desired.pool != nil, ServiceTranslation.allocatedPool(of: result) != desired.pool {
            annotationWritten.withLock { $0 = false }
            logger.warning(
                "allocator: this API server drops metadata in status writes; \(PoolAnnotations.heraldKey) is not written"
            )
        }
        if shown.isEmpty, !desired.addresses.isEmpty, let since = awaiting.withLock({ $0.removeValue(forKey: id) }) {
            assigned(ContinuousClock.now - since)
        }
        if let version = result.metadata.resourceVersion.flatMap({ UInt64($0) }) {
            written.entries.withLock {
                $0[id] = WrittenStatus(desired: desired, annotations: target, resourceVersion: version)
            }
        }
    }

    /// The merge patch's `annotations` object that brings a Service showing `shown` to `target` (a JSON null removes
    /// an annotation).
    static func patch(from shown: PoolAnnotations, to target: PoolAnnotations) throws -> String {
        let pairs = [
            (PoolAnnotations.heraldKey, shown.herald, target.herald),
            (PoolAnnotations.metallbKey, shown.metallb, target.metallb),
        ]
        var members: [String] = []
        for (key, now, next) in pairs where now != nil || next != nil {
            let value = try next.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) } ?? "null"
            members.append("\"\(key)\":\(value)")
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// Waits while Service statuses are being written or wait to be (the allocator's inbox, the informer's queue),
    /// and through a burst of status writes: Events are written after the statuses, at a lower priority (see
    /// ``holdsEvent(decided:now:busy:writesPerSecond:)``).
    func afterStatusWrites(
        _ inbox: WorkQueue<Input>, _ writes: PendingWrites, decided: ContinuousClock.Instant
    ) async {
        while !Task.isCancelled {
            let busy =
                statusWrites.withLock { $0 } > 0 || !writes.isEmpty || inbox.count > 0 || services.queue.count > 0
            let now = ContinuousClock.now
            let rate = writeRate.withLock { $0.perSecond(at: now) }
            guard Self.holdsEvent(decided: decided, now: now, busy: busy, writesPerSecond: rate) else { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Whether an Event decided at `decided` still waits at `now`. Outside a burst it waits while status writes are
    /// under way or queued (`busy`), at most ``eventDelayLimit``. During a burst (``burstRate`` status writes a second
    /// or more) it waits until the burst ends, busy or not at this instant, at most ``eventDelayLimitInBurst``: a burst
    /// arriving at a few hundred a second leaves the writers idle between Services for milliseconds at a time, and an
    /// Event let through each such pause competes with the burst's statuses for the API server. Pure.
    static func holdsEvent(
        decided: ContinuousClock.Instant, now: ContinuousClock.Instant, busy: Bool, writesPerSecond: Int
    ) -> Bool {
        let inBurst = writesPerSecond >= burstRate
        guard busy || inBurst else { return false }
        return now < decided + (inBurst ? eventDelayLimitInBurst : eventDelayLimit)
    }

    /// Status writes sent in the current second and the one before: the higher of the two counts is the rate.
    /// Time is given by the caller.
    struct WriteRate: Sendable {
        var windowStart: ContinuousClock.Instant?
        var current = 0
        var previous = 0

        mutating func add(at now: ContinuousClock.Instant) {
            roll(to: now)
            current += 1
        }

        mutating func perSecond(at now: ContinuousClock.Instant) -> Int {
            roll(to: now)
            return max(current, previous)
        }

        private mutating func roll(to now: ContinuousClock.Instant) {
            guard let start = windowStart else {
                windowStart = now
                return
            }
            let elapsed = now - start
            if elapsed >= .seconds(2) {
                (previous, current, windowStart) = (0, 0, now)
            } else if elapsed >= .seconds(1) {
                (previous, current, windowStart) = (current, 0, start + .seconds(1))
            }
        }
    }

    func record(_ event: AllocationState.Event) async {
        let reference = ObjectReference(
            apiVersion: "v1", kind: "Service", namespace: event.service.namespace, name: event.service.name,
            uid: services.store.get(ObjectKey(namespace: event.service.namespace, name: event.service.name))?
                .metadata.uid)
        if event.warning { logger.warning("\(event)") } else { logger.info("\(event)") }
        await recorder.record(
            reference, type: event.warning ? .warning : .normal, reason: event.reason, message: event.message)
    }
}
