import Foundation
import HeraldCore
import HeraldKubeModels
import HeraldKubeTestSupport
import NIOCore
import Synchronization
import Testing

@testable import HeraldKube

/// The pure parts: codecs, store, queue, backoff, election and membership decisions, rate limit.
@Suite struct UnitTests {
    @Test func lineSplitterHandlesArbitraryChunking() throws {
        let text = #"{"type":"ADDED"}"# + "\n" + #"{"type":"BOOKMARK"}"# + "\n\n" + #"{"type":"X"}"#
        let bytes = Array(text.utf8)
        for chunkSize in [1, 2, 3, 7, 100] {
            var splitter = LineSplitter()
            var lines: [String] = []
            for start in stride(from: 0, to: bytes.count, by: chunkSize) {
                let chunk = ByteBuffer(bytes: bytes[start..<min(bytes.count, start + chunkSize)])
                lines += try splitter.append(chunk).map { String(buffer: $0) }
            }
            #expect(lines == [#"{"type":"ADDED"}"#, #"{"type":"BOOKMARK"}"#])
            #expect(splitter.remainder.map { String(buffer: $0) } == #"{"type":"X"}"#)
        }
        var small = LineSplitter(maximumLineLength: 8)
        #expect(throws: KubeError.self) { _ = try small.append(ByteBuffer(string: "0123456789abcdef")) }
    }

    /// A line far longer than a chunk arrives in pieces and comes out whole; once it is done, the splitter lets go
    /// of the capacity it needed.
    @Test func lineSplitterReleasesALongLinesBuffer() throws {
        let long = String(repeating: "x", count: 300_000)
        var splitter = LineSplitter()
        var seen: [Int] = []
        let bytes = Array((long + "\n" + #"{"a":1}"# + "\n" + #"{"b":"#).utf8)
        for start in stride(from: 0, to: bytes.count, by: 16_384) {
            try splitter.append(ByteBuffer(bytes: bytes[start..<min(bytes.count, start + 16_384)])) {
                seen.append($0.readableBytes)
            }
        }
        #expect(seen == [300_000, 7])
        #expect(splitter.remainder.map { String(buffer: $0) } == #"{"b":"#)
        #expect(splitter.carriedCapacity <= LineSplitter.retainedCapacity)
    }

    @Test func watchEventsDecode() throws {
        let d = WatchEventDecoder<Service>()
        let added = try d.decode(
            ByteBuffer(
                string:
                    #"{"type":"ADDED","object":{"kind":"Service","metadata":{"name":"a","namespace":"n","resourceVersion":"7"},"spec":{"ports":[{"port":80,"targetPort":"http"}]}}}"#
            ))
        guard case .added(let s) = added else { Issue.record("not added"); return }
        #expect(s.key == "n/a")
        #expect(s.spec?.ports?.first?.targetPort == .string("http"))
        #expect(added.resourceVersion == "7")
        let bookmark = try d.decode(
            ByteBuffer(string: #"{"type":"BOOKMARK","object":{"kind":"Service","metadata":{"resourceVersion":"99"}}}"#))
        #expect(bookmark.resourceVersion == "99")
        let error = try d.decode(
            ByteBuffer(
                string:
                    #"{"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}"#
            ))
        guard case .error(let status) = error else { Issue.record("not error"); return }
        #expect(status.code == 410)
        #expect(throws: KubeError.self) { _ = try d.decode(ByteBuffer(string: "not json")) }
        #expect(throws: KubeError.self) { _ = try d.decode(ByteBuffer(string: #"{"type":"WHAT","object":{}}"#)) }
    }

    @Test func storeReplaceReportsDifferencesAndMaintainsIndexes() {
        let store = ObjectStore<Service>(indexers: ["app": { [$0.metadata.labels?["app"] ?? ""] }])
        func svc(_ name: String, _ rv: String, _ app: String) -> Service {
            Service(metadata: ObjectMeta(name: name, namespace: "n", labels: ["app": app], resourceVersion: rv))
        }
        #expect(store.replace(with: [svc("a", "1", "x"), svc("b", "1", "x")]).count == 2)
        #expect(store.byIndex("app", "x").count == 2)
        let events = store.replace(with: [svc("a", "2", "y"), svc("c", "1", "x")])
        #expect(events.count == 3)  // a updated, b deleted, c added
        #expect(Set(store.byIndex("app", "x").map(\.key)) == ["n/c"])
        #expect(Set(store.byIndex("app", "y").map(\.key)) == ["n/a"])
        store.upsert(svc("c", "2", "y"))
        #expect(store.byIndex("app", "x").isEmpty)
        store.remove(ObjectKey(namespace: "n", name: "a"))
        #expect(store.byIndex("app", "y").map(\.key) == ["n/c"])
        store.upsert(svc("d", "1", "x"))
        #expect(Set(store.compactMap { $0.metadata.labels?["app"] == "x" ? $0.metadata.name : nil }) == ["d"])
        #expect(store.compactMap { $0.metadata.name }.count == store.count)
    }

    /// A change stream for readers of the store: bursts coalesce into one wake-up and hold no object.
    @Test func changeStreamsCoalesce() async {
        let broadcast = Broadcast<Void>(replayLatest: false)
        let coalescing = broadcast.subscribe(bufferingPolicy: .bufferingNewest(1))
        let every = broadcast.subscribe()
        for _ in 0..<100 { broadcast.yield(()) }
        broadcast.finish()
        var woken = 0
        for await _ in coalescing { woken += 1 }
        var all = 0
        for await _ in every { all += 1 }
        #expect(woken == 1)
        #expect(all == 100)
    }

    @Test func workQueueDeduplicatesAndNeverHandsOutAKeyTwiceConcurrently() async {
        let q = WorkQueue<String>()
        q.add("a"); q.add("a"); q.add("b"); q.add("a")
        #expect(q.count == 2)
        let first = await q.next()
        #expect(first == "a")
        q.add("a")  // re-added while processing: held back until done
        #expect(await q.next() == "b")
        #expect(q.count == 0)
        q.done("a")
        #expect(q.count == 1)
        #expect(await q.next() == "a")
        let waiter = Task { await q.next() }
        try? await Task.sleep(for: .milliseconds(20))
        q.add("c")
        #expect(await waiter.value == "c")
        let cancelled = Task { await q.next() }
        cancelled.cancel()
        #expect(await cancelled.value == nil)
        q.shutdown()
        #expect(await q.next() == nil)
    }

    @Test func backoffGrowsToTheCapWithBoundedJitter() {
        var b = Backoff(initial: .milliseconds(100), maximum: .seconds(1), factor: 2, jitter: 0.5)
        let v1 = b.next(random: { 0 })
        #expect(v1 == .milliseconds(100))
        let v2 = b.next(random: { 0 })
        #expect(v2 == .milliseconds(200))
        let half = b.next(random: { 0.5 })
        #expect(half == .milliseconds(500))  // 400 * 1.25
        for _ in 0..<10 { _ = b.next(random: { 0 }) }
        let v3 = b.next(random: { 0 })
        #expect(v3 == .seconds(1))
        let v4 = b.next(random: { 0.999 })
        #expect(v4 < .milliseconds(1500))
        b.reset()
        let v5 = b.next(random: { 0 })
        #expect(v5 == .milliseconds(100))
    }

    @Test func electionTakesOverOnlyAfterObservingAnUnchangedRecordForTheLeaseDuration() {
        var s = LeaderElectionState(identity: "me", leaseDuration: .seconds(3))
        #expect(s.decide(current: nil, now: .zero) == .create)
        let other = Lease.Spec(
            holderIdentity: "other", leaseDurationSeconds: 3, renewTime: MicroTime(Date(timeIntervalSince1970: 0)))
        #expect(s.decide(current: other, now: .seconds(10)) == .follow(holder: "other"))
        #expect(s.decide(current: other, now: .seconds(12)) == .follow(holder: "other"))
        var renewed = other
        renewed.renewTime = MicroTime(Date(timeIntervalSince1970: 1))
        // A change restarts the wait.
        #expect(s.decide(current: renewed, now: .seconds(12.9)) == .follow(holder: "other"))
        #expect(s.decide(current: renewed, now: .seconds(15.8)) == .follow(holder: "other"))
        #expect(s.decide(current: renewed, now: .seconds(15.9)) == .takeOver)
        let record = s.record(for: .takeOver, current: renewed, wall: Date(timeIntervalSince1970: 100))
        #expect(record.holderIdentity == "me")
        #expect(record.leaseTransitions == 1)
        #expect(record.leaseDurationSeconds == 3)
        var mine = record
        mine.renewTime = MicroTime(Date(timeIntervalSince1970: 101))
        #expect(s.decide(current: mine, now: .seconds(16)) == .renew)
        #expect(
            s.record(for: .renew, current: mine, wall: Date(timeIntervalSince1970: 102)).acquireTime
                == record.acquireTime)
        var released = renewed
        released.holderIdentity = ""
        var fresh = LeaderElectionState(identity: "me", leaseDuration: .seconds(3))
        #expect(fresh.decide(current: released, now: .zero) == .takeOver)
    }

    @Test func membershipLivenessUsesTheLocalClock() {
        var v = MembershipView()
        let wall = Date(timeIntervalSince1970: 1000)
        func lease(_ node: String, renew: Double) -> Lease {
            Lease(
                metadata: ObjectMeta(name: "herald-member-\(node)"),
                spec: .init(
                    holderIdentity: node, leaseDurationSeconds: 3,
                    renewTime: MicroTime(Date(timeIntervalSince1970: renew))))
        }
        v.observe(lease("a", renew: 999), now: .seconds(100), wall: wall)
        v.observe(lease("stale", renew: 900), now: .seconds(100), wall: wall)  // renewed long ago: suspect at once
        #expect(v.suspects(now: .seconds(100)) == ["herald-member-stale"])
        v.confirm(leaseName: "herald-member-stale", current: lease("stale", renew: 900), now: .seconds(100), wall: wall)
        #expect(v.live(now: .seconds(100)) == ["a"])
        v.observe(lease("a", renew: 999), now: .seconds(102), wall: wall)  // unchanged: not a renewal
        #expect(v.live(now: .seconds(102.9)) == ["a"])
        #expect(v.suspects(now: .seconds(102.9)).isEmpty)
        // Past its window, "a" is suspect but still live until a read confirms it was not renewed.
        #expect(v.suspects(now: .seconds(103)) == ["herald-member-a"])
        #expect(v.live(now: .seconds(103)) == ["a"])
        v.confirm(leaseName: "herald-member-a", current: lease("a", renew: 999), now: .seconds(103), wall: wall)
        #expect(v.live(now: .seconds(103)) == [])
        #expect(v.suspects(now: .seconds(103)).isEmpty)
        v.observe(lease("a", renew: 1003), now: .seconds(103.5), wall: wall)
        #expect(v.live(now: .seconds(104)) == ["a"])
        #expect(v.nextExpiry(after: .seconds(104)) == .seconds(106.5))
        v.remove(leaseName: "herald-member-a")
        #expect(v.live(now: .seconds(104)) == [])
    }

    /// The input versions a node publishes in its lease (for confirmed handovers): read per node; a lease without the
    /// annotation (an older host) is absent; a malformed one confirms nothing.
    @Test func membershipReadsPublishedInputVersions() {
        var v = MembershipView()
        let wall = Date(timeIntervalSince1970: 1000)
        func lease(_ node: String, applied: String?) -> Lease {
            Lease(
                metadata: ObjectMeta(
                    name: "herald-member-\(node)",
                    annotations: applied.map { [NodeMembership.appliedAnnotation: $0] }),
                spec: .init(
                    holderIdentity: node, leaseDurationSeconds: 3,
                    renewTime: MicroTime(Date(timeIntervalSince1970: 999))))
        }
        v.observe(lease("a", applied: "nodes=5,services=9"), now: .seconds(1), wall: wall)
        v.observe(lease("old", applied: nil), now: .seconds(1), wall: wall)
        v.observe(lease("bad", applied: "nodes=five"), now: .seconds(1), wall: wall)
        #expect(v.applied == ["a": InputVersions(["nodes": 5, "services": 9]), "bad": InputVersions()])
        v.observe(lease("a", applied: "nodes=6,services=9"), now: .seconds(2), wall: wall)
        #expect(v.applied["a"] == InputVersions(["nodes": 6, "services": 9]))
    }

    /// A lagging watch: the read finds a renewal the watch has not delivered, and the node stays live from then on;
    /// a read that finds no lease removes the node.
    @Test func membershipExpiryWaitsForARead() {
        var v = MembershipView()
        let wall = Date(timeIntervalSince1970: 1000)
        func lease(renew: Double) -> Lease {
            Lease(
                metadata: ObjectMeta(name: "herald-member-c"),
                spec: .init(
                    holderIdentity: "c", leaseDurationSeconds: 3,
                    renewTime: MicroTime(Date(timeIntervalSince1970: renew))))
        }
        v.observe(lease(renew: 1000), now: .seconds(10), wall: wall)
        #expect(v.suspects(now: .seconds(13)) == ["herald-member-c"])
        v.confirm(leaseName: "herald-member-c", current: lease(renew: 1002.5), now: .seconds(13.01), wall: wall)
        #expect(v.suspects(now: .seconds(13.01)).isEmpty)
        #expect(v.live(now: .seconds(15.9)) == ["c"])
        #expect(v.suspects(now: .seconds(16.01)) == ["herald-member-c"])
        v.confirm(leaseName: "herald-member-c", current: nil, now: .seconds(16.02), wall: wall)
        #expect(v.live(now: .seconds(16.02)) == [])
        #expect(v.suspects(now: .seconds(16.02)).isEmpty)
    }

    /// A lease that announces its renew interval is live for the duration less half of it, and its holder's fence
    /// (counted from sending) comes half a renew interval earlier still.
    @Test func membershipWindowLeavesHalfARenewIntervalAfterTheFence() {
        var v = MembershipView()
        let wall = Date(timeIntervalSince1970: 1000)
        func lease(renew: Double, interval: String?) -> Lease {
            var annotations = [NodeMembership.durationAnnotation: "3000"]
            annotations[NodeMembership.renewIntervalAnnotation] = interval
            return Lease(
                metadata: ObjectMeta(name: "herald-member-b", annotations: annotations),
                spec: .init(
                    holderIdentity: "b", leaseDurationSeconds: 3,
                    renewTime: MicroTime(Date(timeIntervalSince1970: renew))))
        }
        v.observe(lease(renew: 999, interval: "1000"), now: .seconds(100), wall: wall)
        #expect(v.live(now: .seconds(102.49)) == ["b"])
        #expect(v.suspects(now: .seconds(102.49)).isEmpty)
        #expect(v.suspects(now: .seconds(102.5)) == ["herald-member-b"])
        #expect(v.nextExpiry(after: .seconds(101)) == .seconds(102.5))
        let fence = NodeMembership.fence(leaseDuration: .seconds(3), renewInterval: .seconds(1))
        let window = NodeMembership.liveWindow(leaseDuration: .seconds(3), renewInterval: .seconds(1))
        #expect(window - fence == .milliseconds(500))
        // No annotation, or one that makes no sense (not shorter than the lease): the whole duration.
        v.observe(lease(renew: 1000, interval: nil), now: .seconds(103), wall: wall)
        #expect(v.suspects(now: .seconds(105.9)).isEmpty)
        #expect(v.suspects(now: .seconds(106)) == ["herald-member-b"])
        v.observe(lease(renew: 1001, interval: "5000"), now: .seconds(104), wall: wall)
        #expect(v.suspects(now: .seconds(106.9)).isEmpty)
        #expect(v.suspects(now: .seconds(107)) == ["herald-member-b"])
    }

    @Test func tokenBucketRefills() {
        var b = TokenBucket(burst: 2, refillPerSecond: 1)
        let v6 = b.tryTake(now: .zero)
        #expect(v6)
        let v7 = b.tryTake(now: .zero)
        #expect(v7)
        let v8 = b.tryTake(now: .milliseconds(500))
        #expect(!v8)
        let v9 = b.tryTake(now: .milliseconds(1000))
        #expect(v9)
        let v10 = b.tryTake(now: .milliseconds(1100))
        #expect(!v10)
    }

    @Test func microTimeRoundTrips() throws {
        let t = try #require(MicroTime(string: "2026-11-28T10:00:00.123456Z"))
        #expect(t.description == "2026-11-28T10:00:00.123456Z")
        #expect(t.seconds == "2026-11-28T10:00:00Z")
        #expect(MicroTime(string: "2026-11-28T10:00:00Z")?.description == "2026-11-28T10:00:00.000000Z")
        #expect(MicroTime(string: "yesterday") == nil)
        let data = try JSONEncoder().encode(Lease.Spec(renewTime: t))
        #expect(String(decoding: data, as: UTF8.self).contains("2026-11-28T10:00:00.123456Z"))
    }

    /// The calendar arithmetic agrees with Foundation's ISO 8601 formatter (the oracle, here only) over five
    /// centuries, leap days included; offsets are applied; impossible dates and times are refused.
    @Test func microTimeAgreesWithFoundationAndRefusesImpossibleDates() throws {
        let oracle = ISO8601DateFormatter()
        oracle.formatOptions = [.withInternetDateTime]
        var generator = SystemRandomNumberGenerator()
        let from = -2_208_988_800  // 1900-01-01
        let to = 13_569_465_600  // 2400-01-01
        var samples = (0..<2000).map { _ in Int.random(in: from..<to, using: &generator) }
        samples += [0, -1, 951_782_400, 951_868_799, 4_107_542_400, 1_709_164_800]  // 2000-02-29, 2100-03-01, …
        for second in samples {
            let date = Date(timeIntervalSince1970: Double(second))
            let text = MicroTime(date).seconds
            #expect(text == oracle.string(from: date), "\(second)")
            #expect(MicroTime(string: text)?.date == date, "\(text)")
        }
        #expect(MicroTime(string: "2026-11-28T11:30:00+01:30")?.seconds == "2026-11-28T10:00:00Z")
        #expect(MicroTime(string: "2026-11-28T08:00:00.5-02:00")?.description == "2026-11-28T10:00:00.500000Z")
        #expect(MicroTime(string: "2024-02-29t10:00:00z") != nil)
        for bad in [
            "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-04-31T00:00:00Z",
            "2026-11-28T24:00:00Z", "2026-11-28T10:60:00Z", "2026-11-28T10:00:60Z", "2026-11-28T10:00:00",
            "2026-11-28T10:00:00.Z", "2026-11-28T10:00:00+0100", "2026-11-28 10:00:00Z", "2026-1-28T10:00:00Z",
            "2026-11-28T10:00:00Zjunk", "",
        ] {
            #expect(MicroTime(string: bad) == nil, "\(bad)")
        }
    }

    @Test func pathsAndQueries() {
        #expect(Service.collectionPath(namespace: "a") == "/api/v1/namespaces/a/services")
        #expect(
            Service.objectPath(name: "s", namespace: "a", subresource: "status")
                == "/api/v1/namespaces/a/services/s/status")
        #expect(EndpointSlice.collectionPath(namespace: nil) == "/apis/discovery.k8s.io/v1/endpointslices")
        #expect(Node.objectPath(name: "n", namespace: "ignored") == "/api/v1/nodes/n")
        #expect(
            KubeClient.queryString([("labelSelector", "a=b,c in (d)")]) == "?labelSelector=a%3Db%2Cc%20in%20%28d%29")
    }

    @Test func broadcastReplaysTheLatestValueAndFinishes() async {
        let b = Broadcast<Int>(initial: 0, replayLatest: true)
        let early = b.subscribe()
        b.yield(1)
        b.yield(2)
        let late = b.subscribe()
        b.yield(3)
        b.finish()
        var e: [Int] = []
        for await v in early { e.append(v) }
        var l: [Int] = []
        for await v in late { l.append(v) }
        #expect(e == [0, 1, 2, 3])
        #expect(l == [2, 3])
        var after: [Int] = []
        for await v in b.subscribe() { after.append(v) }
        #expect(after == [3])
    }
}

@Suite struct NodeConditionTests {
    @Test func theNetworkUnavailableConditionIsReadFromTheNodeStatus() {
        func node(_ conditions: [(String, String)]) -> Node {
            Node(
                metadata: ObjectMeta(name: "n"),
                status: .init(conditions: conditions.map { Node.Condition(type: $0.0, status: $0.1) }))
        }
        #expect(node([("NetworkUnavailable", "True")]).networkUnavailable)
        #expect(!node([("NetworkUnavailable", "False"), ("Ready", "True")]).networkUnavailable)
        #expect(!node([]).networkUnavailable)
        #expect(!Node(metadata: ObjectMeta(name: "n")).networkUnavailable)
    }
}

/// The store's content digest: the same objects give the same digest however they arrived, and any change moves it.
@Suite struct StoreContentTests {
    static func service(_ name: String, _ version: String) -> Service {
        var service = testService(name, namespace: "ns")
        service.metadata.resourceVersion = version
        return service
    }

    @Test func theSameObjectsGiveTheSameDigestListedOrWatched() {
        let watched = ObjectStore<Service>()
        watched.upsert(Self.service("a", "1"))
        watched.upsert(Self.service("gone", "2"))
        watched.upsert(Self.service("b", "3"))
        watched.upsert(Self.service("a", "4"))
        watched.remove(ObjectKey(namespace: "ns", name: "gone"))
        let listed = ObjectStore<Service>()
        _ = listed.replace(with: [Self.service("b", "3"), Self.service("a", "4")])
        #expect(watched.content.digest == listed.content.digest)
        #expect(watched.content.changes == 5 && listed.content.changes == 1)
        #expect(watched.content.lists == 0 && listed.content.lists == 1)
        // A new version of one object, a removal, an addition: each moves the digest.
        var seen: Set<UInt64> = [listed.content.digest]
        listed.upsert(Self.service("a", "5"))
        #expect(seen.insert(listed.content.digest).inserted)
        listed.remove(ObjectKey(namespace: "ns", name: "b"))
        #expect(seen.insert(listed.content.digest).inserted)
        listed.upsert(Self.service("c", "6"))
        #expect(seen.insert(listed.content.digest).inserted)
        // The fingerprint is stable across runs (FNV-1a, not the per-process Hasher).
        #expect(ObjectStore<Service>.fingerprint(ObjectKey(namespace: "ns", name: "a"), "1") == 0x2ebb_d62d_34cb_5c31)
    }

    /// A value derived from an object is derived once per version of the object and generation of the reader's
    /// other inputs, and kept across a list that brings the same version back.
    @Test func aDerivedValueIsMadeOncePerVersionAndGeneration() {
        let store = ObjectStore<Service>()
        for (name, version) in [("a", "1"), ("b", "2"), ("c", "3")] { store.upsert(Self.service(name, version)) }
        let made = Mutex(0)
        func pass(_ generation: UInt64) -> [String] {
            var seen: [String] = []
            store.forEach(
                derivingOnce: generation,
                { service -> String in
                    made.withLock { $0 += 1 }
                    return "\(service.metadata.name ?? "")@\(service.metadata.resourceVersion ?? "")#\(generation)"
                }
            ) { seen.append($0) }
            return seen.sorted()
        }
        /// A pass, and how many values it derived.
        func counted(_ generation: UInt64) -> (values: [String], derived: Int) {
            let before = made.withLock { $0 }
            let values = pass(generation)
            return (values, made.withLock { $0 } - before)
        }
        #expect(counted(1) == (["a@1#1", "b@2#1", "c@3#1"], 3))
        #expect(counted(1) == (["a@1#1", "b@2#1", "c@3#1"], 0))
        // A new version of one object: only it is derived again.
        store.upsert(Self.service("b", "4"))
        #expect(counted(1) == (["a@1#1", "b@4#1", "c@3#1"], 1))
        // Another generation: every object again, and the older generation's values are gone.
        #expect(counted(2) == (["a@1#2", "b@4#2", "c@3#2"], 3))
        #expect(counted(1) == (["a@1#1", "b@4#1", "c@3#1"], 3))
        // A list that brings the same versions keeps what was derived; a changed or new object is derived.
        _ = store.replace(with: [Self.service("a", "1"), Self.service("b", "5"), Self.service("d", "6")])
        #expect(counted(1) == (["a@1#1", "b@5#1", "d@6#1"], 2))
        // Another reader's type is not mistaken for this one's.
        var counts: [Int] = []
        store.forEach(derivingOnce: 1, { $0.metadata.name?.count ?? 0 }) { counts.append($0) }
        #expect(counts == [1, 1, 1])
        #expect(counted(1).derived == 3)
    }
}
