import Foundation
import HeraldCore
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import HeraldTestSupport
import Synchronization
import Testing

/// Leader election and node membership against the real API server.
@Suite struct ElectionIntegrationTests {
    static func config(_ lease: String, _ id: String, release: Bool = true) -> LeaderElector.Configuration {
        .init(
            leaseName: lease, namespace: "herald-system", identity: id, leaseDuration: .seconds(3),
            renewDeadline: .seconds(2), retryPeriod: .milliseconds(250), releaseOnCancel: release)
    }

    @Test func exactlyOneLeaderAndTakeoverWithinLeaseDurationPlusOneSecond() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { client in
            let lease = uniqueName("leader")
            // "a" dies without releasing (as a killed process would); "b" must wait out the lease.
            let a = LeaderElector(
                client: client, configuration: Self.config(lease, "a", release: false), logger: .test("a"))
            let b = LeaderElector(
                client: client, configuration: Self.config(lease, "b", release: false), logger: .test("b"))
            let both = Mutex(0)
            let monitor = Task {
                while !Task.isCancelled {
                    if a.isLeader && b.isLeader { both.withLock { $0 += 1 } }
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
            let runA = Task { await a.run() }
            let runB = Task { await b.run() }
            #expect(await eventually(timeout: .seconds(10)) { a.isLeader != b.isLeader })
            try await Task.sleep(for: .seconds(4))  // several lease durations of stable leadership
            #expect(a.isLeader != b.isLeader)
            let (leader, follower, leaderTask, followerTask) = a.isLeader ? (a, b, runA, runB) : (b, a, runB, runA)
            let onServer = try await client.get(Lease.self, name: lease, namespace: "herald-system")
            #expect(onServer.spec?.holderIdentity == leader.configuration.identity)

            let killed = ContinuousClock.now
            leaderTask.cancel()
            await leaderTask.value
            #expect(await eventually(timeout: .seconds(6)) { follower.isLeader })
            let takeover = ContinuousClock.now - killed
            print("leader election: takeover \(takeover) after the leader stopped without releasing (lease 3 s)")
            #expect(takeover <= .seconds(4), "takeover took \(takeover)")
            let after = try await client.get(Lease.self, name: lease, namespace: "herald-system")
            #expect(after.spec?.holderIdentity == follower.configuration.identity)
            #expect(after.spec?.leaseTransitions == (onServer.spec?.leaseTransitions ?? 0) + 1)
            followerTask.cancel()
            await followerTask.value
            monitor.cancel()
            await monitor.value
            #expect(both.withLock { $0 } == 0, "two leaders at once")
        }
    }

    /// The leadership changes a harness process printed: (leading, CLOCK_MONOTONIC ns).
    static func transitions(_ p: LineProcess) -> [(leading: Bool, at: UInt64)] {
        p.lines.compactMap { line in
            let words = line.split(separator: " ")
            guard words.count == 2, let at = UInt64(words[1]) else { return nil }
            switch words[0] {
            case "leading": return (true, at)
            case "following": return (false, at)
            default: return nil
            }
        }
    }

    static func leads(_ p: LineProcess) -> Bool { transitions(p).last?.leading == true }

    @Test func aKilledLeaderProcessIsReplacedWithinLeaseDurationPlusOneSecond() async throws {
        let cluster = try await DevCluster.shared()
        let lease = uniqueName("killed")
        let harness = try TestSupport.product("herald-elector-harness")
        let candidates = try ["a", "b"].map { id in
            try LineProcess(
                executable: harness, arguments: [cluster.adminKubeconfig, "herald-system", lease, id, "3000"])
        }
        defer { for c in candidates { c.stop() } }
        #expect(
            await eventually { candidates.allSatisfy { $0.lines.contains("ready") } }, "\(candidates[0].transcript)")
        #expect(await eventually(timeout: .seconds(10)) { candidates.filter(Self.leads).count == 1 })
        try await Task.sleep(for: .seconds(4))  // more than a lease duration of stable leadership
        let leaders = candidates.filter(Self.leads)
        try #require(leaders.count == 1, "leaders: \(candidates.map(\.transcript))")
        let leader = leaders[0]
        let follower = candidates.first { $0 !== leader }!
        #expect(!Self.transitions(follower).contains { $0.leading }, "the follower never led")
        let onServer = try await withClient(try cluster.adminClient()) { client in
            try await client.get(Lease.self, name: lease, namespace: "herald-system")
        }
        let leaderID = onServer.spec?.holderIdentity

        // SIGKILL: no release, no clean-up; the follower must wait out the lease and take over.
        let killedAt = LineProcess.monotonicNanoseconds()
        leader.kill9()
        #expect(!leader.isRunning)
        #expect(await eventually(timeout: .seconds(8)) { Self.leads(follower) }, "\(follower.transcript)")
        let took = try #require(Self.transitions(follower).first { $0.leading }).at
        let seconds = Double(Int64(took) - Int64(killedAt)) / 1e9
        print("leader election: takeover \(seconds) s after the leader process was killed (SIGKILL, lease 3 s)")
        #expect(took > killedAt, "the follower led before the leader was killed: two leaders")
        #expect(seconds <= 4, "takeover took \(seconds) s (lease 3 s + 1 s)")
        let after = try await withClient(try cluster.adminClient()) { client in
            try await client.get(Lease.self, name: lease, namespace: "herald-system")
        }
        #expect(after.spec?.holderIdentity != leaderID && after.spec?.holderIdentity != nil)
        #expect(after.spec?.leaseTransitions == (onServer.spec?.leaseTransitions ?? 0) + 1)
        // A graceful stop of the new leader releases the lease.
        follower.stop()
        #expect(follower.lines.last == "stopped", "\(follower.transcript)")
        let released = try await withClient(try cluster.adminClient()) { client in
            try await client.get(Lease.self, name: lease, namespace: "herald-system")
        }
        #expect(released.spec?.holderIdentity == "")
    }

    @Test func gracefulStopReleasesTheLeaseForAnImmediateTakeover() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { client in
            let lease = uniqueName("release")
            let a = LeaderElector(client: client, configuration: Self.config(lease, "a"), logger: .test("a"))
            let runA = Task { await a.run() }
            #expect(await eventually { a.isLeader })
            let b = LeaderElector(client: client, configuration: Self.config(lease, "b"), logger: .test("b"))
            let runB = Task { await b.run() }
            try await Task.sleep(for: .seconds(1))
            #expect(!b.isLeader)
            let stopped = ContinuousClock.now
            runA.cancel()
            await runA.value
            #expect(await eventually(timeout: .seconds(5)) { b.isLeader })
            let takeover = ContinuousClock.now - stopped
            #expect(takeover < .seconds(2), "released lease taken over in \(takeover)")
            runB.cancel()
            await runB.value
            let released = try await client.get(Lease.self, name: lease, namespace: "herald-system")
            #expect(released.spec?.holderIdentity == "")
        }
    }

    @Test func membershipYieldsTheLiveNodeSet() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { client in
            let ns = try await makeNamespace(client, "members")
            let watcher = MembershipWatcher(client: client, namespace: ns, logger: .test("watcher"))
            func member(_ node: String, deleteOnStop: Bool = true) -> NodeMembership {
                NodeMembership(
                    client: client, configuration: .init(nodeName: node, namespace: ns, deleteOnStop: deleteOnStop),
                    logger: .test(node))
            }
            let n1 = member("n1"), n2 = member("n2", deleteOnStop: false), n3 = member("n3")
            try await whileRunning({ await watcher.run() }) {
                let t1 = Task { await n1.run() }
                let t2 = Task { await n2.run() }
                let t3 = Task { await n3.run() }
                #expect(await eventually(timeout: .seconds(10)) { watcher.liveNodes == ["n1", "n2", "n3"] })
                try await Task.sleep(for: .seconds(4))  // renewals keep everyone live past the 3 s duration
                #expect(watcher.liveNodes == ["n1", "n2", "n3"])
                #expect(n1.holdsValidLease && n1.renewals >= 3)
                // What a node publishes goes out with a lease write soon after it changes (publishSpacing, 200 ms), not
                // at the next renewal; an unchanged value writes nothing early.
                let published = InputVersions(["nodes": 42, "services": 7])
                let before = n3.renewals
                let asked = ContinuousClock.now
                n3.setApplied(published)
                #expect(await eventually(timeout: .seconds(3)) { watcher.appliedVersions["n3"] == published })
                let seen = ContinuousClock.now - asked
                #expect(seen < .milliseconds(800), "published after \(seen)")
                n3.setApplied(published)
                try await Task.sleep(for: .milliseconds(700))
                #expect(n3.renewals - before <= 2, "\(n3.renewals - before) renewals in about a second")

                // Graceful stop deletes the lease: gone at once.
                let stop = ContinuousClock.now
                t1.cancel()
                await t1.value
                #expect(await eventually(timeout: .seconds(2)) { watcher.liveNodes == ["n2", "n3"] })
                #expect(ContinuousClock.now - stop < .seconds(1.5))

                // A node that stops renewing (crash: lease left behind) drops out 2.5 s after its last renewal (the 3 s
                // duration less half the 1 s renew interval).
                let crashed = ContinuousClock.now
                t2.cancel()
                await t2.value
                #expect(await eventually(timeout: .seconds(6)) { watcher.liveNodes == ["n3"] })
                #expect(ContinuousClock.now - crashed <= .seconds(4.5))
                t3.cancel()
                await t3.value
            }
        }
    }
}
