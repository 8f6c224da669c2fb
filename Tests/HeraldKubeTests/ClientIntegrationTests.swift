import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import HeraldTestSupport
import Testing

/// The client against the shared real kube-apiserver, checked with real kubectl.
@Suite struct ClientIntegrationTests {
    @Test func statusPatchIsVisibleToKubectlAndLeavesSpecAlone() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { admin in
            let ns = try await makeNamespace(admin, "status")
            var svc = testService("web", namespace: ns)
            svc.spec = Service.Spec(
                type: "LoadBalancer", ports: [Service.Port(name: "http", port: 80, targetPort: .int(8080))])
            let created = try await admin.create(svc)
            #expect(created.metadata.uid != nil)
            let pending = try await cluster.kubectl(["get", "svc", "web", "-n", ns, "--no-headers"])
            #expect(pending.output.contains("<pending>"))
            try await withClient(try cluster.heraldClient()) { herald in
                let patched = try await herald.patchServiceStatus(
                    namespace: ns, name: "web", loadBalancer: .init(ingress: [.init(ip: "198.51.100.10")]))
                #expect(patched.status?.loadBalancer?.ingress?.first?.ip == "198.51.100.10")
                #expect(patched.spec?.type == "LoadBalancer")
                #expect(patched.spec?.ports?.first?.targetPort == .int(8080))
            }
            let wait = try await cluster.kubectl([
                "wait", "-n", ns, "svc/web", "--for=jsonpath={.status.loadBalancer.ingress[0].ip}=198.51.100.10",
                "--timeout=20s",
            ])
            #expect(wait.status == 0, "\(wait.output)")
            let row = try await cluster.kubectl(["get", "svc", "web", "-n", ns, "--no-headers"])
            #expect(row.output.contains("198.51.100.10"))
        }
    }

    @Test func heraldClusterRoleIsEnoughAndNoMore() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { admin in
            let ns = try await makeNamespace(admin, "rbac")
            _ = try await admin.create(testService("s", namespace: ns))
            _ = try await admin.create(
                EndpointSlice(
                    metadata: ObjectMeta(name: "s-1", namespace: ns, labels: [EndpointSlice.serviceNameLabel: "s"]),
                    endpoints: [.init(addresses: ["10.0.0.1"], conditions: .init(ready: true), nodeName: "n1")]))
            _ = try await admin.create(Node(metadata: ObjectMeta(name: uniqueName("node"))))
            try await withClient(try cluster.heraldClient()) { herald in
                #expect(try await herald.listAll(Service.self).items.contains { $0.metadata.namespace == ns })
                let slices = try await herald.listAll(EndpointSlice.self, namespace: ns).items
                #expect(slices.first?.endpoints?.first?.nodeName == "n1")
                #expect(try await herald.listAll(Node.self).items.count >= 1)
                #expect(try await herald.listAll(Namespace.self).items.contains { $0.metadata.name == ns })
                // Watches work too (informers).
                let informer = Informer<EndpointSlice>(
                    client: herald, options: .init(namespace: ns), logger: .test("rbac"))
                try await whileRunning({ await informer.run() }) {
                    try await informer.waitUntilSynced(timeout: .seconds(60))
                    _ = try await admin.create(
                        EndpointSlice(
                            metadata: ObjectMeta(
                                name: "s-2", namespace: ns, labels: [EndpointSlice.serviceNameLabel: "s"]),
                            endpoints: [.init(addresses: ["10.0.0.2"])]))
                    #expect(await eventually { informer.store.count == 2 })
                }
                _ = try await herald.patchServiceStatus(
                    namespace: ns, name: "s", loadBalancer: .init(ingress: [.init(ip: "198.51.100.7")]))
                let leaseName = uniqueName("rbac-lease")
                let lease = try await herald.create(
                    Lease(
                        metadata: ObjectMeta(name: leaseName, namespace: "herald-system"),
                        spec: .init(holderIdentity: "me")))
                var renewed = lease
                renewed.spec?.renewTime = MicroTime(Date())
                _ = try await herald.replace(renewed)
                try await herald.delete(Lease.self, name: leaseName, namespace: "herald-system")
                let recorder = EventRecorder(client: herald, component: "herald", logger: .test("rbac-events"))
                let ref = ObjectReference(kind: "Service", namespace: ns, name: "s")
                #expect(await recorder.record(ref, type: .normal, reason: "IPAllocated", message: "x") != nil)
                #expect(await recorder.record(ref, type: .normal, reason: "IPAllocated", message: "x")?.count == 2)

                // And no more: no spec writes, no deletes, no leases outside herald-system.
                await expectForbidden { _ = try await herald.create(testService("nope", namespace: ns)) }
                await expectForbidden { try await herald.delete(Service.self, name: "s", namespace: ns) }
                await expectForbidden {
                    _ = try await herald.patch(
                        Service.self, name: "s", namespace: ns, body: Array(#"{"metadata":{"labels":{"a":"b"}}}"#.utf8))
                }
                await expectForbidden {
                    _ = try await herald.create(
                        Lease(metadata: ObjectMeta(name: "x", namespace: ns), spec: .init(holderIdentity: "me")))
                }
            }
        }
    }

    /// The split of deploy/rbac.yaml against the API server: a speaker's token reads what the speakers plan on,
    /// renews membership leases and records Events, and gets 403 on `services/status` (so a compromised node cannot
    /// make the others announce an address); the allocator's writes status and only its own Lease.
    @Test func aSpeakerTokenCannotWriteServiceStatusAndTheAllocatorsCan() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { admin in
            let ns = try await makeNamespace(admin, "split")
            _ = try await admin.create(testService("s", namespace: ns))
            let status = Service.LoadBalancerStatus(ingress: [.init(ip: "198.51.100.9")])
            try await withClient(try cluster.roleClient("speaker")) { speaker in
                #expect(try await speaker.listAll(Service.self, namespace: ns).items.count == 1)
                _ = try await speaker.listAll(Node.self)
                _ = try await speaker.listAll(EndpointSlice.self, namespace: ns)
                let lease = try await speaker.create(
                    Lease(
                        metadata: ObjectMeta(name: uniqueName("herald-member-split"), namespace: "herald-system"),
                        spec: .init(holderIdentity: "node")))
                try await speaker.delete(Lease.self, name: lease.metadata.name ?? "", namespace: "herald-system")
                let recorder = EventRecorder(client: speaker, component: "herald-speaker", logger: .test("events"))
                let ref = ObjectReference(kind: "Service", namespace: ns, name: "s")
                #expect(await recorder.record(ref, type: .normal, reason: "NodeAssigned", message: "x") != nil)
                await expectForbidden {
                    _ = try await speaker.patchServiceStatus(namespace: ns, name: "s", loadBalancer: status)
                }
                await expectForbidden { _ = try await speaker.create(testService("nope", namespace: ns)) }
            }
            try await withClient(try cluster.roleClient("allocator")) { allocator in
                _ = try await allocator.patchServiceStatus(namespace: ns, name: "s", loadBalancer: status)
                await expectForbidden { _ = try await allocator.listAll(Node.self) }
                await expectForbidden {
                    _ = try await allocator.create(
                        Lease(
                            metadata: ObjectMeta(name: "herald-member-x", namespace: ns),
                            spec: .init(holderIdentity: "me")))
                }
            }
            let written = try await admin.get(Service.self, name: "s", namespace: ns)
            #expect(written.status?.loadBalancer?.ingress?.compactMap(\.ip) == ["198.51.100.9"])
        }
    }

    /// Handovers compare content digests (``InputVersions``): a cache listed after changes elsewhere in the cluster,
    /// and after a deletion the watching cache saw happen, shows the same digest as the one that watched all along,
    /// although its stream position (the list's revision) is further on and the watching cache's never gets there.
    @Test func aLaterListShowsTheContentDigestOfAWatchThatSawTheSameObjects() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { admin in
            let ns = try await makeNamespace(admin, "content")
            let other = try await makeNamespace(admin, "content-other")
            _ = try await admin.create(testService("a", namespace: ns))
            _ = try await admin.create(testService("gone", namespace: ns))
            let watching = Informer<Service>(client: admin, options: .init(namespace: ns), logger: .test("watching"))
            try await whileRunning({ await watching.run() }) {
                try await watching.waitUntilSynced(timeout: .seconds(60))
                let synced = watching.store.content
                _ = try await admin.create(testService("b", namespace: ns))
                try await admin.delete(Service.self, name: "gone", namespace: ns)
                #expect(await eventually { watching.store.count == 2 })
                let watched = watching.store.content
                #expect(watched.digest != synced.digest && watched.changes == synced.changes + 2)
                // Changes elsewhere move the store's revision on, not this namespace's watch.
                for index in 0..<3 { _ = try await admin.create(testService("x\(index)", namespace: other)) }
                let listing = Informer<Service>(
                    client: admin, options: .init(namespace: ns), logger: .test("listing"))
                try await whileRunning({ await listing.run() }) {
                    try await listing.waitUntilSynced(timeout: .seconds(60))
                    let (late, early) = (listing.statistics, watching.statistics)
                    #expect(UInt64(late.resourceVersion ?? "") ?? 0 > UInt64(early.resourceVersion ?? "") ?? 0)
                    #expect(listing.store.content.digest == watched.digest, "the same objects, listed or watched")
                    // A change moves both on to the same new digest.
                    try await admin.delete(Service.self, name: "b", namespace: ns)
                    #expect(
                        await eventually {
                            let (l, w) = (listing.store.content.digest, watching.store.content.digest)
                            return l == w && l != watched.digest
                        })
                }
            }
        }
    }

    @Test func clientCertificateKubeconfigAuthenticates() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(
            try KubeClient(configuration: KubeConfigLoader.load(paths: [cluster.certKubeconfig]), logger: .test("cert"))
        ) {
            client in
            let names = try await client.listAll(Namespace.self).items.map(\.metadata.name)
            #expect(names.contains("herald-system"))
        }
    }

    @Test func invalidTokenIsAClear401() async throws {
        let cluster = try await DevCluster.shared()
        var config = try KubeConfigLoader.load(paths: [cluster.adminKubeconfig])
        config.token = TokenSource(token: "not-a-valid-token")
        try await withClient(try KubeClient(configuration: config, logger: .test("badtoken"))) { client in
            do {
                _ = try await client.listAll(Service.self)
                Issue.record("a bad token was accepted")
            } catch let error as KubeError {
                #expect(error.statusCode == 401)
                #expect(error.reason == "Unauthorized")
                #expect(!error.isRetryable)
                #expect(error.description.contains("GET /api/v1/services"))
            }
        }
    }

    @Test func aRotatedTokenFileIsUsedAtTheFirst401() async throws {
        let cluster = try await DevCluster.shared()
        var config = try KubeConfigLoader.load(paths: [cluster.adminKubeconfig])
        let good = try #require(try config.token?.current())
        let dir = try TestSupport.temporaryDirectory("herald-token")
        let file = dir + "/token"
        try "stale-token\n".write(toFile: file, atomically: true, encoding: .utf8)
        // Refreshed only hourly by the clock: only the 401 can make the client read the file again.
        config.token = TokenSource(file: file, refresh: .seconds(3600))
        try await withClient(try KubeClient(configuration: config, logger: .test("rotate"))) { client in
            let rejected = await #expect(throws: KubeError.self) { _ = try await client.listAll(Namespace.self) }
            #expect(
                rejected?.statusCode == 401, "the file still holds the rejected token: \(String(describing: rejected))")
            try "\(good)\n".write(toFile: file, atomically: true, encoding: .utf8)
            let names = try await client.listAll(Namespace.self).items.map(\.metadata.name)
            #expect(names.contains("herald-system"))
            #expect(try config.token?.current() == good)
        }
    }

    @Test func unreachableServerIsATransportErrorAndTheReflectorBacksOff() async throws {
        let port = try closedPort()
        let config = KubeClientConfiguration(server: "https://127.0.0.1:\(port)", token: TokenSource(token: "x"))
        try await withClient(try KubeClient(configuration: config, logger: .test("unreachable"))) { client in
            do {
                _ = try await client.get(Service.self, name: "a", namespace: "default")
                Issue.record("an unreachable server answered")
            } catch let error as KubeError {
                #expect(error.code == .transport)
                #expect(error.endpoint == "127.0.0.1:\(port)")
                #expect(error.isRetryable)
                #expect(error.description.contains("127.0.0.1:\(port)"))
            }
            let informer = Informer<Service>(
                client: client,
                options: .init(backoff: Backoff(initial: .milliseconds(50), maximum: .milliseconds(400))),
                logger: .test("unreachable"))
            // Wait for three failed attempts (bounded: a loaded machine may be slow), then check they were spaced.
            let clock = ContinuousClock()
            let started = clock.now
            let (stats, elapsed) = try await whileRunning({ await informer.run() }) {
                while informer.statistics.failures < 3 && clock.now - started < .seconds(30) {
                    try await Task.sleep(for: .milliseconds(50))
                }
                return (informer.statistics, clock.now - started)
            }
            #expect(stats.failures >= 3)
            // With a 50 ms initial backoff, n failures need at least (n - 1) x 25 ms even with full jitter.
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            #expect(
                Double(stats.failures - 1) * 0.025 <= seconds,
                "backoff must space the retries: \(stats.failures) in \(seconds) s")
            #expect(stats.lists == 0)
            #expect(!informer.hasSynced)
            #expect(stats.lastError?.contains("127.0.0.1:\(port)") == true)
            // Waiting for a cache that cannot sync ends with an error naming the cause.
            try await whileRunning({ await informer.run() }) {
                do {
                    try await informer.waitUntilSynced(timeout: .milliseconds(500))
                    Issue.record("an informer of an unreachable server synced")
                } catch let error as KubeError {
                    #expect(error.code == .timeout)
                    #expect(error.message.contains("services cache did not sync"), "\(error)")
                    #expect(error.message.contains("127.0.0.1:\(port)"), "\(error)")
                }
            }
        }
    }

    @Test func conflictsAndNotFoundCarryTheStatusReason() async throws {
        let cluster = try await DevCluster.shared()
        try await withClient(try cluster.adminClient()) { client in
            let ns = try await makeNamespace(client, "errs")
            let lease = try await client.create(
                Lease(metadata: ObjectMeta(name: "l", namespace: ns), spec: .init(holderIdentity: "a")))
            var first = lease
            first.spec?.holderIdentity = "b"
            _ = try await client.replace(first)
            var stale = lease
            stale.spec?.holderIdentity = "c"
            await #expect(throws: KubeError.self) { _ = try await client.replace(stale) }
            do {
                _ = try await client.replace(stale)
            } catch let error as KubeError {
                #expect(error.isConflict)
                #expect(error.reason == "Conflict")
            }
            do {
                _ = try await client.get(Lease.self, name: "missing", namespace: ns)
            } catch let error as KubeError {
                #expect(error.isNotFound)
                #expect(error.reason == "NotFound")
            }
            do {
                _ = try await client.create(Lease(metadata: ObjectMeta(name: "l", namespace: ns)))
            } catch let error as KubeError {
                #expect(error.isAlreadyExists)
            }
        }
    }
}

/// Expects `body` to fail with 403 Forbidden.
func expectForbidden(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("expected 403 Forbidden, the request succeeded", sourceLocation: sourceLocation)
    } catch let error as KubeError {
        #expect(error.statusCode == 403, "\(error)", sourceLocation: sourceLocation)
        #expect(error.reason == "Forbidden", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

/// A loopback port nothing listens on.
func closedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}
