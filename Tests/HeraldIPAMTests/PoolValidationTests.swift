import HeraldCore
import Testing

@testable import HeraldIPAM

@Suite("Pool validation")
struct PoolValidationTests {
    @Test(
        "overlaps are found across and within pools, and nothing else is flagged",
        arguments: [
            (["a": ["10.0.0.0/24"], "b": ["10.0.1.0/24"]], 0),
            (["a": ["10.0.0.0/24"], "b": ["10.0.0.128/25"]], 1),
            (["a": ["10.0.0.0/24", "10.0.0.10-10.0.0.20"]], 1),
            (["a": ["10.0.0.0-10.0.0.10"], "b": ["10.0.0.10"]], 1),
            (["a": ["10.0.0.0-10.0.0.9"], "b": ["10.0.0.10-10.0.0.19"]], 0),
            (["a": ["10.0.0.0/16"], "b": ["10.0.1.0/24"], "c": ["10.0.200.0/24"]], 2),
            (["a": ["10.0.0.0/24"], "b": ["2001:db8::/64"]], 0),
            (["a": ["2001:db8::/64"], "b": ["2001:db8::5-2001:db8::9"]], 1),
            (["a": ["0.0.0.0/0"], "b": ["::/0"]], 0),
        ] as [([String: [String]], Int)]
    )
    func overlaps(layout: [String: [String]], expected: Int) {
        let pools = layout.sorted { $0.key < $1.key }.map { Pool(name: $0.key, ranges: ranges($0.value)) }
        let problems = PoolConfigError.problems(in: pools)
        #expect(problems.count == expected)
        #expect(problems.allSatisfy { if case .overlap = $0 { true } else { false } })
    }

    @Test("names must be present and unique, and a pool needs addresses")
    func names() {
        let problems = PoolConfigError.problems(in: [
            Pool(name: "", ranges: ranges(["10.0.0.1"])),
            Pool(name: "a", ranges: ranges(["10.0.1.1"])),
            Pool(name: "a", ranges: ranges(["10.0.2.1"])),
            Pool(name: "empty", ranges: []),
        ])
        #expect(problems == [.emptyName, .duplicateName("a"), .noRanges(pool: "empty")])
    }

    @Test("the overlap message names both pools and both ranges")
    func overlapMessage() throws {
        let error = #expect(throws: PoolConfigError.self) {
            try allocator(pool("a", "10.0.0.0/24"), pool("b", "10.0.0.200-10.0.1.5"))
        }
        #expect(
            error?.description
                == "invalid address pools: range 10.0.0.200-10.0.1.5 of pool \"b\" overlaps range "
                + "10.0.0.0-10.0.0.255 of pool \"a\""
        )
    }

    @Test("an invalid pool change is refused and changes nothing")
    func invalidChangeKeepsState() throws {
        var allocator = try allocator(pool("a", "10.0.0.0/30"))
        _ = allocator.allocate(service("web"))
        let before = allocator.assignments
        #expect(throws: PoolConfigError.self) {
            _ = try allocator.setPools([pool("a", "10.0.0.0/30"), pool("b", "10.0.0.2")])
        }
        #expect(allocator.assignments == before)
        #expect(allocator.pools.map(\.name) == ["a"])
    }
}
