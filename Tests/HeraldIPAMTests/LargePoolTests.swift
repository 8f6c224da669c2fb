import HeraldCore
import Testing

@testable import HeraldIPAM

@Suite("Large pools")
struct LargePoolTests {
    @Test("an IPv6 /64 hands out its first addresses and accepts requests at its far end")
    func ipv6Slash64() throws {
        var allocator = try allocator(pool("v6", "2001:db8:0:1::/64"))
        let v6 = [IPFamily.ipv6]
        #expect(allocator.allocate(service("a", families: v6)).addresses == ["2001:db8:0:1::"])
        let far = "2001:db8:0:1:ffff:ffff:ffff:ffff"
        #expect(allocator.allocate(service("b", families: v6, addresses: [far])).addresses == [far])
        #expect(allocator.allocate(service("c", families: v6)).addresses == ["2001:db8:0:1::1"])
        _ = allocator.release(id("b"))
        #expect(allocator.allocate(service("d", families: v6, addresses: [far])).addresses == [far])
        #expect(allocator.statistics()[0].usage[.ipv6]?.inUse == 3)
    }

    @Test("avoidBuggyIPs on a /8 counts 254 addresses per /24 and reaches the last one directly")
    func avoidBuggySlash8() throws {
        var allocator = try allocator(pool("big", "10.0.0.0/8", avoidBuggyIPs: true))
        #expect(allocator.statistics()[0].usage[.ipv4]?.total == UInt128(65_536 * 254))
        #expect(allocator.allocate(service("last", addresses: ["10.255.255.254"])).addresses == ["10.255.255.254"])
        #expect(allocator.allocate(service("first")).addresses == ["10.0.0.1"])
    }

    @Test("thousands of allocations across /24 boundaries never hand out .0 or .255")
    func crossesBoundaries() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/20", avoidBuggyIPs: true))
        var seen: Set<IPAddress> = []
        for index in 0..<(16 * 254) {
            guard let address = try allocator.allocate(service("s\(index)")).get().addresses.first else { continue }
            seen.insert(address)
            let low = address.integer & 0xff
            #expect(low != 0 && low != 255, "handed out \(address)")
        }
        #expect(seen.count == 16 * 254)
        #expect(allocator.allocate(service("one-more")).failure?.code == .poolExhausted)
    }
}
