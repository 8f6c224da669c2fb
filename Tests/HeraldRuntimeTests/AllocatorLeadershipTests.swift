import Foundation
import HeraldAllocation
import HeraldConfig
import HeraldConfigModel
import HeraldKube
import HeraldKubeModels
import Logging
import Synchronization
import Testing

@testable import HeraldRuntime

/// The allocator writes only while it leads, and only on the object it decided on: a host whose lease renewals
/// stall steps down at its renew deadline and writes nothing after it; a status write made on a stale Service is
/// refused by the API server and the Service is decided again on the current one.
@Suite struct AllocatorLeadershipTests {
    static let leaseDuration = Duration.seconds(3)
    static let renewDeadline = Duration.seconds(2)

    /// One allocator host: its own client (the token names it at the server), caches, elector and controller.
    final class Host: Sendable {
        let client: KubeClient
        let elector: LeaderElector
        let controller: ServiceController
        let services: Informer<Service>
        let namespaces: Informer<Namespace>
        let task = Mutex<Task<Void, Never>?>(nil)

        init(_ name: String, server: FakeAPIServer, config: ConfigStore) throws {
            client = try server.client(name)
            let logger = AllocatorLeadershipTests.logger(name)
            services = Informer(
                client: client, options: .init(transform: ServiceCacheTransform().callAsFunction), logger: logger)
            namespaces = Informer(client: client, logger: logger)
            elector = LeaderElector(
                client: client,
                configuration: .init(
                    leaseName: "herald-allocator", namespace: "herald-system", identity: name,
                    leaseDuration: AllocatorLeadershipTests.leaseDuration,
                    renewDeadline: AllocatorLeadershipTests.renewDeadline, retryPeriod: .milliseconds(250),
                    releaseOnCancel: false),
                logger: logger)
            controller = ServiceController(
                client: client, services: services, namespaces: namespaces, elector: elector,
                recorder: EventRecorder(client: client, component: "herald-allocator", host: name, logger: logger),
                config: config, logger: logger)
        }

        func start() {
            let (services, namespaces, elector, controller) = (services, namespaces, elector, controller)
            task.withLock {
                $0 = Task {
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { await services.run() }
                        group.addTask { await namespaces.run() }
                        group.addTask { await elector.run() }
                        group.addTask { await controller.run() }
                    }
                }
            }
        }

        func stop() async {
            let running = task.withLock { $0 }
            running?.cancel()
            await running?.value
            try? await client.shutdown()
        }
    }

    static func logger(_ name: String) -> Logger {
        let level = ProcessInfo.processInfo.environment["HERALD_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        var logger = Logger(label: "allocator.\(name)") { label in
            level == nil ? SwiftLogNoOpLogHandler() as any LogHandler : StreamLogHandler.standardError(label: label)
        }
        logger.logLevel = level ?? .critical
        return logger
    }

    static func config() throws -> ConfigStore {
        let text = """
            apiVersion: herald.dev/v1
            pools:
              - name: general
                addresses: [192.0.2.0/24]
            advertisements:
              - {name: all, plugin: log}
            """
        return ConfigStore(try ConfigParser.parse(text, file: "herald.yaml").get())
    }

    static func service(_ name: String) -> Service {
        var spec = Service.Spec(
            type: "LoadBalancer", ports: [Service.Port(protocol: "TCP", port: 80)], selector: ["app": name])
        spec.ipFamilyPolicy = "SingleStack"
        spec.ipFamilies = ["IPv4"]
        return Service(metadata: ObjectMeta(name: name, namespace: "shop"), spec: spec)
    }

    static func addresses(_ server: FakeAPIServer, _ name: String) -> [String] {
        (server.service("shop/\(name)")?.status?.loadBalancer?.ingress ?? []).compactMap(\.ip)
    }

    /// Polls `condition` every 10 ms until it holds or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    static func statusPatches(_ server: FakeAPIServer) -> [FakeAPIServer.Request] {
        server.requests.filter { $0.method == "PATCH" && $0.path.hasSuffix("/status") }
    }

    /// The must-show of the allocator's leadership: its lease renewals stall (the API server answers nothing else
    /// amiss); from its renew deadline on it neither believes it leads nor writes, counted at the server, and after
    /// the follower's takeover every status write is the follower's.
    @Test func aLeaderWhoseRenewalsStallWritesNothingAfterItsRenewDeadline() async throws {
        let server = try await FakeAPIServer()
        server.put(Namespace(metadata: ObjectMeta(name: "shop")))
        for index in 0..<3 { server.put(Self.service("early-\(index)")) }
        let config = try Self.config()
        let a = try Host("a", server: server, config: config)
        let b = try Host("b", server: server, config: config)
        a.start()
        #expect(await Self.eventually { a.elector.isLeader })
        b.start()
        #expect(await Self.eventually { (0..<3).allSatisfy { !Self.addresses(server, "early-\($0)").isEmpty } })
        try await Task.sleep(for: .milliseconds(500))
        #expect(a.elector.isLeader && !b.elector.isLeader)

        let both = Mutex(0)
        let monitor = Task {
            while !Task.isCancelled {
                if a.elector.isLeader && b.elector.isLeader { both.withLock { $0 += 1 } }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        server.stallLeases(of: "a")
        let stalled = ContinuousClock.now
        // The last renewal that reached the server started before the stall: the deadline is at most this.
        let deadline = stalled + Self.renewDeadline
        let steppedDown = await Self.eventually(timeout: .seconds(4)) { !a.elector.isLeader }
        let after = ContinuousClock.now - stalled
        #expect(steppedDown && after <= Self.renewDeadline + .milliseconds(300), "a stepped down after \(after)")

        // A Service that appears after the deadline, before the follower may take over: not the old leader's.
        try await Task.sleep(until: deadline + .milliseconds(200))
        server.put(Self.service("late-1"))
        #expect(await Self.eventually { b.elector.isLeader })
        let takeover = ContinuousClock.now
        print("allocator: stepped down \(after) after its renewals stalled; follower led \(takeover - stalled) after")
        server.put(Self.service("late-2"))
        #expect(await Self.eventually { !Self.addresses(server, "late-1").isEmpty })
        #expect(await Self.eventually { !Self.addresses(server, "late-2").isEmpty })
        try await Task.sleep(for: .milliseconds(500))  // room for a stray write of the old leader to arrive

        let patches = Self.statusPatches(server)
        let late = patches.filter { $0.client == "a" && $0.at > deadline }
        #expect(late.isEmpty, "the old leader wrote after its deadline: \(late.map(\.path))")
        let sinceTakeover = patches.filter { $0.at >= takeover }
        #expect(!sinceTakeover.isEmpty && sinceTakeover.allSatisfy { $0.client == "b" })
        #expect(server.statusHistory("shop/late-1").map(\.client) == ["b"])
        #expect(server.statusHistory("shop/late-2").map(\.client) == ["b"])
        monitor.cancel()
        await monitor.value
        #expect(both.withLock { $0 } == 0, "two leaders at once")
        await b.stop()
        await a.stop()
        try await server.stop()
    }

    /// Another writer changes the Service between the allocator's decision and its write: the write names the
    /// resourceVersion it was decided on, the server refuses it (409), and the Service is decided again on what the
    /// server holds; the stale decision never shows.
    @Test func aStatusWriteDecidedOnAStaleServiceIsRefusedAndDecidedAgain() async throws {
        let server = try await FakeAPIServer()
        server.put(Namespace(metadata: ObjectMeta(name: "shop")))
        let a = try Host("a", server: server, config: try Self.config())
        a.start()
        #expect(await Self.eventually { a.elector.isLeader })
        server.beforeNextStatusPatch(of: "shop/web", by: "a") { service in
            service.metadata.annotations = ["metallb.io/loadBalancerIPs": "192.0.2.77"]
        }
        server.put(Self.service("web"))
        #expect(await Self.eventually { Self.addresses(server, "web") == ["192.0.2.77"] })
        try await Task.sleep(for: .milliseconds(300))
        let patches = Self.statusPatches(server).filter { $0.path.hasSuffix("/services/web/status") }
        #expect(patches.first?.status == 409, "\(patches.map(\.status))")
        #expect(patches.last?.status == 200)
        #expect(patches.allSatisfy { $0.body.contains(#""resourceVersion":"#) })
        #expect(server.statusHistory("shop/web").map(\.addresses) == [["192.0.2.77"]])
        await a.stop()
        try await server.stop()
    }
}
