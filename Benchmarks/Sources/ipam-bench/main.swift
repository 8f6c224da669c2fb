import HeraldCore
import HeraldIPAM

#if canImport(Glibc)
    import Glibc
#endif

/// 100k allocations in one pool, then release in a scattered order and reallocate; prints times, the cost of one
/// allocation at about 1k and at about 100k services (and their ratio), and the peak resident set size.
let services = 100_000
let batch = 1_000
let rounds = 5

struct Measurement {
    var allocate: Duration = .zero
    var release: Duration = .zero
    var reallocate: Duration = .zero
    /// Allocations number `batch..<2*batch`: about 1k services held.
    var atOneK: Duration = .zero
    /// The last `batch` allocations: about 100k services held.
    var atHundredK: Duration = .zero
    /// One pool edit (a range added) with every service re-checked.
    var poolChange: Duration = .zero
}

func requests(family: IPFamily) -> [ServiceRequest] {
    (0..<services).map {
        ServiceRequest(
            id: ServiceID(namespace: "bench", name: "svc-\($0)"),
            families: [family],
            ports: [ServicePort(.tcp, 80)]
        )
    }
}

func run(pool: Pool, requests: [ServiceRequest]) throws -> Measurement {
    let clock = ContinuousClock()
    var allocator = try Allocator(pools: [pool])
    var result = Measurement()
    var start = clock.now
    var batchStart = start
    for (index, request) in requests.enumerated() {
        if index == batch || index == services - batch { batchStart = clock.now }
        guard case .success = allocator.allocate(request) else { fatalError("allocation \(index) failed") }
        if index == 2 * batch - 1 { result.atOneK = batchStart.duration(to: clock.now) }
    }
    let end = clock.now
    result.atHundredK = batchStart.duration(to: end)
    result.allocate = start.duration(to: end)

    // Release in a scattered (but fixed) order, so that the free space is fragmented before reallocating.
    var order = Array(requests.indices)
    var state: UInt64 = 42
    for i in order.indices.reversed() {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        order.swapAt(i, Int((state >> 33) % UInt64(i + 1)))
    }
    start = clock.now
    for i in order { _ = allocator.release(requests[i].id) }
    result.release = start.duration(to: clock.now)

    start = clock.now
    for request in requests {
        guard case .success = allocator.allocate(request) else { fatalError("reallocation failed") }
    }
    result.reallocate = start.duration(to: clock.now)
    precondition(allocator.statistics()[0].usage[pool.ranges[0].family]?.inUse == UInt128(services))

    guard case .success(let extra) = IPRange.parse("192.0.2.0/24") else { fatalError("bad range") }
    start = clock.now
    let change = try allocator.setPools([pool, Pool(name: "extra", ranges: [extra])])
    result.poolChange = start.duration(to: clock.now)
    precondition(change.displaced.isEmpty && allocator.assignments.count == services)
    return result
}

/// The best time, over `repeats` fresh allocators, to allocate `requests` (for the average cost in a small run).
func bestRun(pool: Pool, requests: ArraySlice<ServiceRequest>, repeats: Int, reserve: Bool = false) throws -> Duration {
    let clock = ContinuousClock()
    var best = Duration.seconds(1_000)
    for _ in 0..<repeats {
        var allocator = try Allocator(pools: [pool])
        if reserve { allocator.reserveCapacity(requests.count) }
        let start = clock.now
        for request in requests {
            guard case .success = allocator.allocate(request) else { fatalError("allocation failed") }
        }
        best = min(best, start.duration(to: clock.now))
    }
    return best
}

func ratio(_ a: Double, _ b: Double) -> String { String(Double(Int(a / b * 100)) / 100) }

func milliseconds(_ d: Duration) -> String {
    let ms = Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15
    return String(Int(ms * 10) / 10) + "." + String(Int(ms * 10) % 10) + " ms"
}

func nanoseconds(_ d: Duration, per count: Int) -> Double {
    (Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9) / Double(count)
}

func peakRSS() -> String {
    #if canImport(Glibc)
        guard let file = fopen("/proc/self/status", "r") else { return "unknown" }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("VmHWM:") { return text.dropFirst(6).filter { $0 != " " && $0 != "\t" && $0 != "\n" } }
        }
    #endif
    return "unknown"
}

let scenarios: [(String, String, Bool)] = [
    ("IPv4 /15", "10.0.0.0/15", false),
    ("IPv4 /15 with avoidBuggyIPs", "10.0.0.0/15", true),
    ("IPv6 /64", "2001:db8::/64", false),
]
print("ipam-bench: \(services) services, best of \(rounds) rounds")
for (label, cidr, avoidBuggyIPs) in scenarios {
    guard case .success(let range) = IPRange.parse(cidr) else { fatalError("bad range \(cidr)") }
    let pool = Pool(name: "bench", ranges: [range], avoidBuggyIPs: avoidBuggyIPs)
    let input = requests(family: range.family)
    var best = try run(pool: pool, requests: input)
    for _ in 1..<rounds {
        let m = try run(pool: pool, requests: input)
        best.allocate = min(best.allocate, m.allocate)
        best.release = min(best.release, m.release)
        best.reallocate = min(best.reallocate, m.reallocate)
        best.atOneK = min(best.atOneK, m.atOneK)
        best.atHundredK = min(best.atHundredK, m.atHundredK)
        best.poolChange = min(best.poolChange, m.poolChange)
    }
    let smallRun = try bestRun(pool: pool, requests: input.prefix(batch), repeats: 50)
    let smallAverage = nanoseconds(smallRun, per: batch)
    let fullAverage = nanoseconds(best.allocate, per: services)
    let reservedRun = try bestRun(pool: pool, requests: input[...], repeats: rounds, reserve: true)
    let reservedAverage = nanoseconds(reservedRun, per: services)
    let oneK = nanoseconds(best.atOneK, per: batch)
    let hundredK = nanoseconds(best.atHundredK, per: batch)
    print("\(label) (\(cidr)):")
    print("  allocate \(services): \(milliseconds(best.allocate))")
    print("  release \(services) (scattered order): \(milliseconds(best.release))")
    print("  reallocate \(services) into fragmented space: \(milliseconds(best.reallocate))")
    print("  pool edit with \(services) services held: \(milliseconds(best.poolChange))")
    print("  average allocation in a run of 1k: \(Int(smallAverage)) ns; in a run of 100k: \(Int(fullAverage)) ns")
    print("    ratio 100k/1k: \(ratio(fullAverage, smallAverage))")
    print("  average allocation in a run of 100k with reserveCapacity: \(Int(reservedAverage)) ns")
    print("    ratio to the run of 1k: \(ratio(reservedAverage, smallAverage))")
    print("  marginal allocation with ~1k services held: \(Int(oneK)) ns; with ~100k held: \(Int(hundredK)) ns")
    print("    ratio 100k/1k: \(ratio(hundredK, oneK))")
    if !avoidBuggyIPs {
        let peerOneK = peerMarginal(range: range, held: batch, batch: batch)
        let peerHundredK = peerMarginal(range: range, held: services - batch, batch: batch)
        print("  peer (first-free scan, MetalLB's approach), same run:")
        print("    marginal allocation with ~1k held: \(Int(peerOneK)) ns; with ~100k held: \(Int(peerHundredK)) ns")
        print("    ratio 100k/1k: \(ratio(peerHundredK, peerOneK))")
        print(
            "    peer/Herald (how many times slower the scan is) at ~1k held: \(ratio(peerOneK, oneK)); at ~100k held: \(ratio(peerHundredK, hundredK))"
        )
    }
}
print("peak RSS (VmHWM): \(peakRSS())")
