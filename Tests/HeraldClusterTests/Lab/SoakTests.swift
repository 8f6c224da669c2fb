import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import HeraldTestSupport
import Testing

/// A soak of the 3-node layer-2 lab: Services created and deleted continuously (about 20 changes a second, IPv4,
/// IPv6 and dual-stack, some sharing an address), a plugin instance restarted by a reload every minute, one node's
/// `herald` killed (-9) every five. Reported: RSS and threads per node over time, addresses leaked (the leading
/// allocator's pools back to empty once every Service is gone), instants with two owners (ARP from the router every
/// 0.2 s, and the exclusive recorder's calls), Events dropped by the rate limits.
///
/// `HERALD_SOAK_MINUTES` sets the length: 2 in the test command (reloads every 30 s, a kill each minute), 30 for the
/// full soak (`scripts/soak`). Runs in a test process of its own (scripts/test): the lab's namespaces are named after
/// the process.
@Suite(.serialized) struct SoakTests {
    struct Sample {
        var minute: Double
        var node: String
        var generation: Int
        var rss: Int
        var threads: Int
    }

    /// VmRSS (KiB) and Threads of a process, from /proc.
    static func usage(_ pid: Int32) -> (rss: Int, threads: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var rss = -1
        var threads = -1
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.first == "VmRSS:", words.count > 1 { rss = Int(words[1]) ?? -1 }
            if words.first == "Threads:", words.count > 1 { threads = Int(words[1]) ?? -1 }
        }
        return rss < 0 || threads < 0 ? nil : (rss, threads)
    }

    /// One metric's samples from a node's status endpoint (inside its namespace), summed.
    static func metric(_ name: String, namespace: String, port: Int) async -> Double? {
        guard
            let out = try? await TestSupport.runDetached(
                [
                    "/usr/sbin/ip", "netns", "exec", namespace, "curl", "-s", "--max-time", "3",
                    "http://127.0.0.1:\(port)/metrics",
                ], timeout: 10)
        else { return nil }
        let lines = out.stdout.split(separator: "\n").filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
        guard !lines.isEmpty else { return nil }
        return lines.compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    @Test func churnReloadsAndKillsLeakNothingAndNeverShowTwoOwners() async throws {
        let minutes = Double(ProcessInfo.processInfo.environment["HERALD_SOAK_MINUTES"] ?? "") ?? 2
        let total = Duration.seconds(minutes * 60)
        let reloadEvery = min(Duration.seconds(60), total / 4)
        let killEvery = min(Duration.seconds(300), total / 2)
        let statusPort = 9464
        let lab = try await Lab.start("herald-soak", fixtures: true)
        let (cluster, directory) = (lab.cluster, lab.directory)
        defer { lab.destroy() }
        try await withClient(try cluster.adminClient("soak")) { client in
            try await ControllerLab.cleanUp(client)
            await lab.createNodes(client)
            var hosts: [String: HostProcess] = [:]
            var generations: [String: Int] = [:]
            var deaths: [String: [UInt64]] = [:]
            var reloads = 0
            func launch(_ index: Int) throws {
                let name = lab.names[index]
                hosts[name] = try HostProcess(
                    cluster: cluster, node: name, directory: directory, config: SpeakerLabTests.config,
                    extra: ["--status-address", "127.0.0.1:\(statusPort)"], netns: lab.nodes[index],
                    plugins: SpeakerLabTests.plugins(directory: directory, node: name))
                generations[name, default: -1] += 1
            }
            for index in 0..<3 { try launch(index) }
            let ns = try await makeNamespace(client, "soak")
            let leader = await eventually(timeout: .seconds(30)) {
                (try? await ControllerLab.allocator(client)) != nil
            }
            #expect(leader, "no allocator leads")

            let poolV4 = (128..<256).map { "198.51.100.\($0)" }
            let sampler = try ARPSampler(namespace: lab.router, addresses: poolV4, interval: 0.2, duration: 7200)

            // The churn: one change every 50 ms, keeping about 40 Services; every fifth new one shares an address.
            let churn = Task {
                let clock = ContinuousClock()
                let start = clock.now
                var live: [String] = []
                var (created, deleted, failed) = (0, 0, 0)
                var serial = 0
                while clock.now - start < total {
                    if live.count < 40 || (live.count < 80 && Bool.random()) {
                        serial += 1
                        let name = "s-\(serial)"
                        let kind = serial % 20
                        var service: Service
                        if kind < 11 {
                            service = ControllerLab.service(name, namespace: ns)
                        } else if kind < 15 {
                            service = ControllerLab.service(name, namespace: ns, families: ["IPv6"])
                        } else if kind < 17 {
                            service = ControllerLab.service(
                                name, namespace: ns, families: ["IPv4", "IPv6"], policy: "PreferDualStack")
                        } else {
                            service = ControllerLab.service(
                                name, namespace: ns, annotations: ["metallb.io/allow-shared-ip": "k\(serial % 3)"],
                                ports: [(1000 + serial % 30_000, "TCP")])
                        }
                        if (try? await client.create(service)) != nil {
                            live.append(name)
                            created += 1
                        } else {
                            failed += 1
                        }
                    } else if let victim = live.indices.randomElement() {
                        let name = live.remove(at: victim)
                        if (try? await client.delete(Service.self, name: name, namespace: ns)) != nil {
                            deleted += 1
                        } else {
                            failed += 1
                        }
                    }
                    try? await Task.sleep(until: start + .milliseconds(50 * (created + deleted + failed)), clock: clock)
                }
                return (created, deleted, failed)
            }

            // Reloads, kills and samples until the churn ends.
            let clock = ContinuousClock()
            let start = clock.now
            var samples: [Sample] = []
            var (nextReload, nextKill, nextSample) = (start + reloadEvery, start + killEvery, start)
            var (reloadTurn, killTurn) = (0, 0)
            while clock.now - start < total {
                let now = clock.now
                let minute = Double((now - start).components.seconds) / 60
                if now >= nextSample {
                    for name in lab.names {
                        guard let host = hosts[name], host.isRunning, let use = Self.usage(host.pid) else { continue }
                        samples.append(
                            Sample(
                                minute: minute, node: name, generation: generations[name] ?? 0, rss: use.rss,
                                threads: use.threads))
                    }
                    nextSample = now + .seconds(15)
                }
                if now >= nextReload {
                    // The recorder cannot take a new configuration live: the reload restarts the instance.
                    let name = lab.names[reloadTurn % 3]
                    reloadTurn += 1
                    let file = "\(directory)/plugins.d-\(name)/30-rec.yaml"
                    try """
                    name: rec
                    library: \(directory)/librecorder.so
                    config: {record: \(directory)/rec-\(name).txt, noLiveReconfigure: true, generation: \(reloadTurn)}

                    """.write(toFile: file, atomically: true, encoding: .utf8)
                    hosts[name]?.signal(SIGHUP)
                    reloads += 1
                    nextReload = now + reloadEvery
                }
                if now >= nextKill {
                    let index = killTurn % 3
                    killTurn += 1
                    let name = lab.names[index]
                    hosts[name]?.signal(SIGKILL)
                    deaths[name, default: []].append(LineProcess.monotonicNanoseconds())
                    await hosts[name]?.stop(SIGKILL, timeout: 5)
                    try await Task.sleep(for: .seconds(1))
                    try launch(index)
                    nextKill = now + killEvery
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            let (created, deleted, failed) = await churn.value

            // Every Service deleted: the leader's pools must come back to empty.
            let (items, _) = try await client.listAll(Service.self, namespace: ns)
            for service in items {
                try? await client.delete(Service.self, name: service.metadata.name ?? "", namespace: ns)
            }
            var inUse: Double?
            let drained = await eventually(timeout: .seconds(60)) {
                guard let holder = try? await ControllerLab.allocator(client),
                    let index = lab.names.firstIndex(of: holder)
                else { return false }
                inUse = await Self.metric(
                    "herald_pool_addresses_in_use", namespace: lab.nodes[index], port: statusPort)
                return inUse == 0
            }
            #expect(drained, "addresses still in use once every Service is gone: \(String(describing: inUse))")
            try await Task.sleep(for: .seconds(3))
            let (rounds, doubles) = sampler.finish()
            var dropped = 0.0
            for index in 0..<3 {
                dropped +=
                    await Self.metric("herald_events_dropped_total", namespace: lab.nodes[index], port: statusPort)
                    ?? 0
            }
            var records: [Recorded] = []
            for name in lab.names { records += Recorded.read("\(directory)/rec-\(name).txt", node: name) }
            let overlaps = Recorded.overlaps(records, ends: deaths)

            // The report: per node and process, RSS (MiB) and threads at each sample.
            print(
                "soak: \(minutes) min, \(created) Services created, \(deleted) deleted (\(failed) API errors), "
                    + "\(reloads) reloads, \(killTurn) kills; \(rounds) ARP rounds over \(poolV4.count) addresses, "
                    + "\(doubles.count) with two answers; \(overlaps.count) recorder overlaps; addresses in use after "
                    + "the end: \(inUse.map { "\(Int($0))" } ?? "?"); Events dropped (counted by the hosts now "
                    + "running): \(Int(dropped))")
            for name in lab.names {
                let rows = samples.filter { $0.node == name }.map {
                    "\(String(format: "%.1f", $0.minute))m g\($0.generation) \($0.rss / 1024)MiB \($0.threads)t"
                }
                print("soak \(name): " + rows.joined(separator: ", "))
            }
            #expect(created > Int(minutes * 60 * 6), "the churn created \(created) Services")
            #expect(rounds > Int(minutes * 60 * 3), "the ARP sampler ran \(rounds) rounds")
            #expect(doubles.isEmpty, "two nodes answered at once: \(doubles.prefix(10))")
            #expect(overlaps.isEmpty, "\(overlaps.prefix(10))")
            // No growth after the first five minutes, for every process that lived ten.
            for name in lab.names {
                for generation in Set(samples.filter { $0.node == name }.map(\.generation)) {
                    let life = samples.filter { $0.node == name && $0.generation == generation }
                    guard let first = life.first, let last = life.last, last.minute - first.minute >= 10,
                        let settled = life.first(where: { $0.minute - first.minute >= 5 })
                    else { continue }
                    #expect(
                        last.rss <= settled.rss * 5 / 4 + 10 * 1024,
                        "\(name) g\(generation): RSS grew from \(settled.rss) KiB to \(last.rss) KiB")
                    #expect(
                        last.threads <= settled.threads + 4,
                        "\(name) g\(generation): threads grew from \(settled.threads) to \(last.threads)")
                }
            }
            for host in hosts.values { await host.stop(SIGKILL, timeout: 5) }
            try await ControllerLab.cleanUp(client)
        }
    }
}
