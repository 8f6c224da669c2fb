// Measures the allocator role of `herald run` against a real kube-apiserver (scripts/dev-cluster, instance "bench"):
//   1. latency: 500 Services created at 50/s, time from each create until its status shows an address (p50, p99);
//   2. throughput: 5,000 Services created in a burst, time until every one has an address (Services/s);
//   3. memory: peak RSS (VmHWM) of the controller process once it holds 10,000 Services.
// The peer, measured in the same run the same way: a bare controller (this executable with `--bare-controller`, a
// process of its own) that watches every Service, as Herald does, and writes a fixed status the moment it sees one
// without an address (no IPAM, no checks, no Events, no leases): the floor the API server allows and the memory a
// Swift process needs to cache the same Services. Each contender gets a fresh API server, so neither sees the
// other's Services. Herald's figures are reported beside the peer's as ratios.
//
// Rounds: `--rounds N` (default 1) measures every contender N times, interleaved (bare, herald, baseline, bare, …), so
// that a slow spell of the machine falls on all of them alike; the table gives each figure's median over the rounds,
// and each round's burst ratio is printed as well (single rounds vary by about a tenth on a 2-core VM).
//
// Run: swift run -c release --package-path Benchmarks controller-bench [--herald PATH] [--baseline PATH]
//      [--herald-role allocator|all] [--only herald|peer] [--rounds N]
import Foundation
import HeraldKube
import HeraldKubeModels
import Logging
import Synchronization

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path
let arguments = CommandLine.arguments
let heraldPath =
    arguments.firstIndex(of: "--herald").map { arguments[$0 + 1] } ?? "\(root)/.build/release/herald"

func shell(_ argv: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: argv[0])
    process.arguments = Array(argv.dropFirst())
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    let handle = try FileHandle(forWritingTo: out)
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try handle.close()
    let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    try? FileManager.default.removeItem(at: out)
    guard process.terminationStatus == 0 else { throw BenchError(text) }
    return text
}

/// A value several tasks update.
final class Shared<T: Sendable>: Sendable {
    let value: Mutex<T>
    init(_ initial: T) { value = Mutex(initial) }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ text: String) { description = text }
}

/// Observes Services of a namespace and records, per name, when its status first showed an address.
final class Observer: Sendable {
    /// When each name first showed an address, and how many names of each prefix ("lat", "burst"…) did: counting
    /// must stay O(1), or the waiting loop would starve the watch of the machine's cores at 10,000 Services.
    struct Assigned {
        var times: [String: ContinuousClock.Instant] = [:]
        var counts: [String: Int] = [:]
    }
    let assigned = Mutex(Assigned())

    static func prefix(_ name: String) -> String { String(name.prefix { $0 != "-" }) }
    let informer: Informer<Service>

    init(client: KubeClient, namespace: String) {
        informer = Informer(client: client, options: .init(namespace: namespace), logger: Logger(label: "bench"))
    }

    func run() async {
        let events = informer.events()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.informer.run() }
            group.addTask {
                for await event in events {
                    let service = event.object
                    guard !(service.status?.loadBalancer?.ingress ?? []).isEmpty, let name = service.metadata.name
                    else { continue }
                    let now = ContinuousClock.now
                    self.assigned.withLock {
                        guard $0.times[name] == nil else { return }
                        $0.times[name] = now
                        $0.counts[Self.prefix(name), default: 0] += 1
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    func count(_ prefix: String) -> Int { assigned.withLock { $0.counts[prefix] ?? 0 } }

    /// What the observer's reflector did, for a round that stalls.
    var diagnosis: String { "observer: \(informer.store.list().count) cached, \(informer.statistics)" }
}

func service(_ name: String, namespace: String) -> Service {
    var service = Service(
        metadata: ObjectMeta(name: name, namespace: namespace),
        spec: .init(type: "LoadBalancer", ports: [.init(port: 80)]))
    service.spec?.ipFamilies = ["IPv4"]
    return service
}

/// Creates `count` Services named `prefix-i` at `rate` per second (nil: as fast as 32 concurrent requests allow);
/// returns when each create was sent.
func create(
    _ client: KubeClient, namespace: String, prefix: String, count: Int, rate: Double?
) async throws -> [String: ContinuousClock.Instant] {
    let sent = Shared<[String: ContinuousClock.Instant]>([:])
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        var running = 0
        for i in 0..<count {
            if let rate {
                let due = start + .seconds(Double(i) / rate)
                if due > .now { try await Task.sleep(until: due, clock: .continuous) }
            } else if running >= 32 {
                try await group.next()
                running -= 1
            }
            running += 1
            let name = "\(prefix)-\(i)"
            group.addTask {
                let at = ContinuousClock.now
                _ = try await client.create(service(name, namespace: namespace))
                sent.value.withLock { $0[name] = at }
            }
        }
        try await group.waitForAll()
    }
    return sent.value.withLock { $0 }
}

func waitFor(_ observer: Observer, prefix: String, count: Int, timeout: Duration) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while observer.count(prefix) < count {
        if ContinuousClock.now > deadline { return false }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return true
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }

/// The bare controller: patches a fixed status onto every Service it sees without one.
func bareController(client: KubeClient) async {
    let informer = Informer<Service>(client: client, logger: Logger(label: "peer"))
    let counter = Shared(0)
    await withTaskGroup(of: Void.self) { group in
        group.addTask { await informer.run() }
        group.addTask {
            await withTaskGroup(of: Void.self) { writers in
                for _ in 0..<32 {
                    writers.addTask {
                        for await key in informer.queue {
                            defer { informer.queue.done(key) }
                            guard let service = informer.store.get(key),
                                (service.status?.loadBalancer?.ingress ?? []).isEmpty
                            else { continue }
                            let n = counter.value.withLock {
                                $0 += 1
                                return $0
                            }
                            do {
                                _ = try await client.patchServiceStatus(
                                    namespace: key.namespace ?? "", name: key.name,
                                    loadBalancer: .init(ingress: [.init(ip: "198.19.\(n / 256).\(n % 256)")]))
                            } catch {
                                print("bare controller: \(key.name): \(error)")
                            }
                        }
                    }
                }
            }
        }
        await group.next()
        group.cancelAll()
    }
}

struct Figures {
    var p50: Double
    var p99: Double
    var burstRate: Double
    var peakRSS: Double = 0
    /// At the end: anonymous memory (heap, stacks) and file-backed pages (code of the binary and libraries).
    var anonymous: Double = 0
    var fileBacked: Double = 0
    /// CPU time the contender used over its whole round (user and system).
    var cpuSeconds: Double = 0
    /// Event objects that appeared in the namespace between the burst's first create and its last address (a
    /// repeated Event is one object with a higher count; one dropped by the writer's rate limit is none).
    var eventsDuringBurst: Double = 0

    /// Each figure's median over `rounds` (figure by figure, so not one round's set).
    static func median(_ rounds: [Figures]) -> Figures {
        func m(_ value: (Figures) -> Double) -> Double { percentile(rounds.map(value), 0.5) }
        var figures = Figures(p50: m(\.p50), p99: m(\.p99), burstRate: m(\.burstRate))
        figures.peakRSS = m(\.peakRSS)
        figures.anonymous = m(\.anonymous)
        figures.fileBacked = m(\.fileBacked)
        figures.cpuSeconds = m(\.cpuSeconds)
        figures.eventsDuringBurst = m(\.eventsDuringBurst)
        return figures
    }
}

/// One measurement round against whatever controller serves `namespace`.
func measure(_ client: KubeClient, kubeconfig: String, namespace: String) async throws -> Figures {
    // The observer watches through a client of its own, as a separate process would.
    let observer = Observer(client: try makeClient(kubeconfig), namespace: namespace)
    let watching = Task { await observer.run() }
    defer { watching.cancel() }
    try await observer.informer.waitUntilSynced(timeout: .seconds(30))

    let sent = try await create(client, namespace: namespace, prefix: "lat", count: 500, rate: 50)
    guard await waitFor(observer, prefix: "lat", count: 500, timeout: .seconds(120)) else {
        let cached = observer.informer.store.list()
        let shown = cached.filter { !($0.status?.loadBalancer?.ingress ?? []).isEmpty }.count
        throw BenchError(
            "latency round: \(observer.count("lat")) of 500 Services got an address (the cache holds \(cached.count), "
                + "\(shown) with an address); \(observer.diagnosis)")
    }
    let seen = observer.assigned.withLock { $0.times }
    let latencies = sent.compactMap { name, at in seen[name].map { ms($0 - at) } }

    let eventsBefore = try await client.listAll(Event.self, namespace: namespace).items.count
    let burstStart = ContinuousClock.now
    _ = try await create(client, namespace: namespace, prefix: "burst", count: 5000, rate: nil)
    guard await waitFor(observer, prefix: "burst", count: 5000, timeout: .seconds(300)) else {
        throw BenchError("burst round: \(observer.count("burst")) of 5,000 got an address; \(observer.diagnosis)")
    }
    let burst = ContinuousClock.now - burstStart
    let eventsAfter = try await client.listAll(Event.self, namespace: namespace).items.count
    var figures = Figures(
        p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99),
        burstRate: 5000 / (ms(burst) / 1000))
    figures.eventsDuringBurst = Double(eventsAfter - eventsBefore)
    return figures
}

/// A field of /proc/PID/status in MiB ("VmHWM", "RssAnon", "RssFile").
/// User and system CPU time of a process so far, from /proc/PID/stat.
func cpuSeconds(pid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = text.lastIndex(of: ")")
    else { return 0 }
    // Fields after the command: state is the 3rd field of the line, utime the 14th and stime the 15th.
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

func memory(pid: Int32, _ field: String) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix("\(field):") })
    else { return 0 }
    return Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "0").map { $0 / 1024 } ?? 0
}

/// The resident size of each mapped file (and of anonymous memory) in MiB, largest first, from /proc/PID/smaps.
func residentByMapping(pid: Int32, top: Int = 8) -> String {
    // procfs files report no size: read to the end.
    guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/smaps"), let data = try? handle.readToEnd() else {
        return ""
    }
    let text = String(decoding: data, as: UTF8.self)
    var current = "[anonymous]"
    var sizes: [String: Double] = [:]
    for line in text.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if let first = fields.first, first.contains("-"), first.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
            current = fields.count >= 6 ? String(fields[5].split(separator: "/").last ?? "") : "[anonymous]"
        } else if fields.first == "Rss:", fields.count >= 2, let kib = Double(fields[1]) {
            sizes[current, default: 0] += kib / 1024
        }
    }
    return sizes.sorted { $0.value > $1.value }.prefix(top).map { "\($0.key) \(String(format: "%.1f", $0.value))" }
        .joined(separator: ", ")
}

func makeClient(_ kubeconfig: String) throws -> KubeClient {
    try KubeClient(configuration: KubeConfigLoader.load(paths: [kubeconfig]), logger: Logger(label: "bench"))
}

if let flag = arguments.firstIndex(of: "--bare-controller") {
    await bareController(client: try makeClient(arguments[flag + 1]))
    exit(0)
}

guard FileManager.default.isExecutableFile(atPath: heraldPath) else {
    print("error: \(heraldPath) not found: build it with `swift build -c release --product herald`")
    print("(and `--product herald-log`, the plugin the benchmark configures)")
    exit(1)
}
let script = "\(root)/scripts/dev-cluster"

/// One contender on a fresh API server: starts it with `launch` (given the cluster's state directory), waits until it
/// serves a probe Service, measures latency and the burst, fills up to 10,000 Services and reads its peak RSS.
func round(_ name: String, launch: (String) throws -> Process) async throws -> Figures {
    _ = try? shell([script, "stop", "--name", "bench"])
    let started = try shell([script, "start", "--name", "bench"])
    guard let line = started.split(separator: "\n").first(where: { $0.hasPrefix("export DEV_CLUSTER_DIR=") }) else {
        throw BenchError("dev-cluster printed no state directory:\n\(started)")
    }
    let state = String(line.dropFirst("export DEV_CLUSTER_DIR=".count))
    defer {
        // Keep the API server's log of a failed round.
        _ = try? shell([
            "/bin/cp", "\(state)/apiserver.log", "/tmp/controller-bench-\(name.split(separator: " ")[0]).log",
        ])
        _ = try? shell([script, "stop", "--name", "bench"])
    }
    let admin = "\(state)/admin.kubeconfig"
    let client = try makeClient(admin)
    defer { Task { try? await client.shutdown() } }
    _ = try await client.create(Namespace(metadata: ObjectMeta(name: "herald")))
    _ = try await client.create(Namespace(metadata: ObjectMeta(name: "bench")))
    let process = try launch(state)
    defer {
        process.terminate()
        process.waitUntilExit()
    }
    // Wait until it serves (for Herald: until it leads).
    let probeObserver = Observer(client: try makeClient(admin), namespace: "bench")
    let probing = Task { await probeObserver.run() }
    _ = try await client.create(service("probe", namespace: "bench"))
    guard await waitFor(probeObserver, prefix: "probe", count: 1, timeout: .seconds(60)) else {
        throw BenchError("\(name) never served the probe Service")
    }
    probing.cancel()
    var figures = try await measure(client, kubeconfig: admin, namespace: "bench")
    let rest = Observer(client: try makeClient(admin), namespace: "bench")
    let restTask = Task { await rest.run() }
    _ = try await create(client, namespace: "bench", prefix: "fill", count: 10_000 - 5_501, rate: nil)
    guard await waitFor(rest, prefix: "fill", count: 10_000 - 5_501, timeout: .seconds(300)) else {
        throw BenchError("\(name): fill round: not every Service got an address; \(rest.diagnosis)")
    }
    restTask.cancel()
    figures.peakRSS = memory(pid: process.processIdentifier, "VmHWM")
    figures.anonymous = memory(pid: process.processIdentifier, "RssAnon")
    figures.fileBacked = memory(pid: process.processIdentifier, "RssFile")
    figures.cpuSeconds = cpuSeconds(pid: process.processIdentifier)
    print("\(name): \(figures)")
    print("\(name): resident MiB by mapping: \(residentByMapping(pid: process.processIdentifier))")
    return figures
}

func spawn(_ path: String, _ arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let log = FileHandle(forWritingAtPath: "/dev/null")!
    process.standardOutput = log
    process.standardError = log
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return process
}

let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? arguments[0]
// `--only herald` or `--only peer` measures one contender (the other's row then shows zeros).
let only = arguments.firstIndex(of: "--only").map { arguments[$0 + 1] }
let rounds = max(1, arguments.firstIndex(of: "--rounds").flatMap { Int(arguments[$0 + 1]) } ?? 1)

let work = FileManager.default.temporaryDirectory.appendingPathComponent("controller-bench-\(getpid())").path
try FileManager.default.createDirectory(atPath: "\(work)/plugins.d", withIntermediateDirectories: true)
try "name: log\nlibrary: herald-log\nconfig: {level: debug}\n".write(
    toFile: "\(work)/plugins.d/log.yaml", atomically: true, encoding: .utf8)
try """
apiVersion: herald.dev/v1
pools: [{name: bench, addresses: [198.18.0.0/16]}]
advertisements: [{name: all, plugin: log}]
""".write(toFile: "\(work)/herald.yaml", atomically: true, encoding: .utf8)
// Herald with the herald ServiceAccount, in the role `--herald-role` names: `allocator` (default) as deploy/ runs the
// allocator (a Deployment that loads no plugin), or `all` (allocator and speaker in one process, announcing every
// address through the log plugin, as `herald run` does by default).
let heraldRole = arguments.firstIndex(of: "--herald-role").map { arguments[$0 + 1] } ?? "allocator"
func heraldRound(_ name: String, _ path: String) async throws -> Figures {
    try await round(name) { state in
        try spawn(
            path,
            [
                "run", "--kubeconfig", "\(state)/herald.kubeconfig", "--config", "\(work)/herald.yaml", "--plugins-dir",
                "\(work)/plugins.d", "--node-name", "bench", "--status-address", "none", "--log-level", "warning",
                "--role", heraldRole,
            ])
    }
}
// `--baseline PATH`: another herald build (an earlier commit) measured in the same run, for before/after figures.
let baselinePath = arguments.firstIndex(of: "--baseline").map { arguments[$0 + 1] }

var peerRounds: [Figures] = []
var heraldRounds: [Figures] = []
var baselineRounds: [Figures] = []
for index in 1...rounds {
    if rounds > 1 { print("round \(index) of \(rounds)") }
    if only != "herald" {
        peerRounds.append(
            try await round("bare controller") { state in
                try spawn(selfPath, ["--bare-controller", "\(state)/admin.kubeconfig"])
            })
    }
    if only != "peer" { heraldRounds.append(try await heraldRound("herald", heraldPath)) }
    if let baselinePath { baselineRounds.append(try await heraldRound("baseline", baselinePath)) }
    if rounds > 1, let peer = peerRounds.last, peer.burstRate > 0 {
        let ratios = [("herald", heraldRounds.last), ("baseline", baselineRounds.last)].compactMap { name, figures in
            figures.map { "\(name) \(String(format: "%.2f", $0.burstRate / peer.burstRate))" }
        }
        print("round \(index): burst ratio \(ratios.joined(separator: ", "))")
    }
}
let empty = Figures(p50: 0, p99: 0, burstRate: 0)
let peer = peerRounds.isEmpty ? empty : Figures.median(peerRounds)
let figures = heraldRounds.isEmpty ? empty : Figures.median(heraldRounds)
let baseline = baselineRounds.isEmpty ? nil : Figures.median(baselineRounds)

func row(_ name: String, _ h: Double, _ p: Double, _ unit: String, goal: String, baseline b: Double? = nil) {
    let before =
        b.map { "   baseline \(String(format: "%8.1f", $0)) \(unit) (ratio \(String(format: "%.2f", $0 / p)))" } ?? ""
    print(
        "\(name.padding(toLength: 34, withPad: " ", startingAt: 0)) herald \(String(format: "%8.1f", h)) \(unit)"
            + "   bare controller \(String(format: "%8.1f", p)) \(unit)   ratio \(String(format: "%.2f", h / p))   goal \(goal)"
            + before
    )
}
print(
    "controller-bench: one kube-apiserver (dev-cluster \"bench\"), herald --role \(heraldRole) vs a bare "
        + "status-writing controller" + (rounds > 1 ? "; medians of \(rounds) interleaved rounds" : ""))
row("create → address p50", figures.p50, peer.p50, "ms", goal: "≤ 50 ms", baseline: baseline?.p50)
row("create → address p99", figures.p99, peer.p99, "ms", goal: "≤ 200 ms", baseline: baseline?.p99)
row(
    "burst of 5,000: Services/s", figures.burstRate, peer.burstRate, "/s", goal: "≥ 500/s",
    baseline: baseline?.burstRate)
row(
    "peak RSS holding 10,000 Services", figures.peakRSS, peer.peakRSS, "MiB", goal: "≤ 64 MiB",
    baseline: baseline?.peakRSS)
row("  of which now anonymous", figures.anonymous, peer.anonymous, "MiB", goal: "-")
row("  of which now file-backed (code)", figures.fileBacked, peer.fileBacked, "MiB", goal: "-")
row("CPU time over the round", figures.cpuSeconds, peer.cpuSeconds, "s", goal: "-", baseline: baseline?.cpuSeconds)
// The bare controller writes no Event: no ratio.
print(
    "Events written during the burst".padding(toLength: 34, withPad: " ", startingAt: 0)
        + " herald \(String(format: "%8.0f", figures.eventsDuringBurst))"
        + (baseline.map { "   baseline \(String(format: "%8.0f", $0.eventsDuringBurst))" } ?? ""))
