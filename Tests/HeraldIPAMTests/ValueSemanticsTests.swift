import HeraldCore
import Testing

@testable import HeraldIPAM

@Suite("Value semantics")
struct ValueSemanticsTests {
    @Test("a copy of the allocator is independent of the original")
    func copies() throws {
        var original = try allocator(pool("p", "10.0.0.0/30"))
        _ = original.allocate(service("a"))
        var copy = original
        _ = copy.allocate(service("b"))
        _ = copy.release(id("a"))
        #expect(original.assignments.keys.sorted() == [id("a")])
        #expect(original.allocate(service("c")).addresses == ["10.0.0.1"])
        #expect(copy.allocate(service("d")).addresses == ["10.0.0.0"])
    }

    @Test("restoring the same statuses twice changes nothing")
    func restoreTwice() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/30"))
        let entries = [
            ExistingAssignment(request: service("a", key: "k", ports: [tcp80]), addresses: [ip("10.0.0.2")]),
            ExistingAssignment(request: service("b", key: "k", ports: [tcp443]), addresses: [ip("10.0.0.2")]),
        ]
        _ = allocator.restore(entries)
        let first = allocator.assignments
        #expect(allocator.restore(entries).rejected.isEmpty)
        #expect(allocator.assignments == first)
        #expect(allocator.statistics()[0].usage[.ipv4]?.inUse == 1)
    }
}
