import HeraldConfig
import HeraldConfigModel
import HeraldCore
import HeraldIPAM

/// The pool overlap check at 10k and 100k ranges: `RangeOverlaps` (sort by first address, compare with the
/// furthest-reaching range before) through `PoolConfigError`, the quadratic scan it replaced (10k only: at 100k it
/// runs for minutes), and `ConfigParser` reading a whole herald.yaml with that many ranges. Best of five rounds.
let rounds = 5

/// `count` disjoint /30s in a scattered order, plus one range overlapping the middle one.
func ranges(_ count: Int) -> [IPRange] {
    var result = (0..<count).map { i -> IPRange in
        let base = UInt128(0x0A00_0000) + UInt128(i) * 4
        return IPRange(lower: .init(family: .ipv4, integer: base), upper: .init(family: .ipv4, integer: base + 3))!
    }
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    for i in stride(from: result.count - 1, to: 0, by: -1) {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        result.swapAt(i, Int(state >> 33) % (i + 1))
    }
    let middle = UInt128(0x0A00_0000) + UInt128(count / 2) * 4 + 1
    result.append(IPRange(lower: .init(family: .ipv4, integer: middle), upper: .init(family: .ipv4, integer: middle))!)
    return result
}

/// A herald.yaml with `count` ranges in pools of ten.
func yaml(_ ranges: [IPRange]) -> String {
    var lines = ["apiVersion: herald.dev/v1", "pools:"]
    for start in stride(from: 0, to: ranges.count, by: 10) {
        let chunk = ranges[start..<min(start + 10, ranges.count)].map { "\"\($0)\"" }.joined(separator: ", ")
        lines.append("  - {name: p\(start / 10), addresses: [\(chunk)]}")
    }
    return lines.joined(separator: "\n") + "\n"
}

func best(_ body: () -> Int) -> (Duration, Int) {
    let clock = ContinuousClock()
    var fastest = Duration.seconds(1_000_000)
    var result = 0
    for _ in 0..<rounds {
        let start = clock.now
        result = body()
        fastest = min(fastest, start.duration(to: clock.now))
    }
    return (fastest, result)
}

func milliseconds(_ d: Duration) -> String {
    let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    return String(Int(ms.rounded())) + " ms"
}

print("config-bench: pool overlap check, best of \(rounds) rounds")
for count in [10_000, 100_000] {
    let list = ranges(count)
    let pools = list.enumerated().map { Pool(name: "p\($0.offset)", ranges: [$0.element]) }
    let (sorted, found) = best { PoolConfigError.problems(in: pools).count }
    print("  \(count) ranges: sorted check \(milliseconds(sorted)) (\(found) overlap)")
    if count <= 10_000 {
        let (quadratic, same) = best { QuadraticPeer.overlaps(list) }
        print("  \(count) ranges: quadratic scan \(milliseconds(quadratic)) (\(same) overlap)")
    }
    let text = yaml(list)
    let (parse, problems) = best {
        if case .failure(let errors) = ConfigParser.parse(text, file: "bench.yaml") { return errors.diagnostics.count }
        return 0
    }
    print(
        "  \(count) ranges: herald.yaml of \(text.utf8.count / 1024) KiB parsed and checked \(milliseconds(parse)) "
            + "(\(problems) problem)")
}
