import HeraldCore
import HeraldTestSupport
import Testing

@testable import HeraldIPAM

@Suite("Free-space structure")
struct FreeSpaceTests {
    @Test("takes the lowest index first, then continues in order")
    func lowestFirst() {
        var space = FreeSpace(first: 10, last: 13)
        #expect(space.takeLowest() == 10)
        #expect(space.takeLowest() == 11)
        #expect(space.inUse == 2)
        #expect(space.capacity == 4)
    }

    @Test("a freed index is the next one handed out when it is the lowest")
    func freedIsReused() {
        var space = FreeSpace(first: 0, last: 9)
        for _ in 0..<5 { _ = space.takeLowest() }
        space.free(2)
        space.free(0)
        #expect(space.takeLowest() == 0)
        #expect(space.takeLowest() == 2)
        #expect(space.takeLowest() == 5)
    }

    @Test("an index taken out of order is skipped")
    func takenAheadIsSkipped() {
        var space = FreeSpace(first: 0, last: 4)
        let first = space.take(1)
        let again = space.take(1)
        #expect(first)
        #expect(!again)
        #expect(space.takeLowest() == 0)
        #expect(space.takeLowest() == 2)
    }

    @Test("full space returns nil, and a freed index makes it usable again")
    func exhaustion() {
        var space = FreeSpace(first: 7, last: 8)
        #expect(space.takeLowest() == 7)
        #expect(space.takeLowest() == 8)
        #expect(space.isFull)
        #expect(space.takeLowest() == nil)
        space.free(8)
        #expect(space.takeLowest() == 8)
    }

    @Test("the whole 128-bit space works without overflow")
    func fullWidth() {
        let top = UInt128.max
        var space = FreeSpace(first: top - 1, last: top)
        #expect(space.capacity == 2)
        #expect(space.takeLowest() == top - 1)
        #expect(space.takeLowest() == top)
        #expect(space.takeLowest() == nil)
        space.free(top)
        #expect(space.isFree(top))
        #expect(space.takeLowest() == top)
        #expect(FreeSpace(first: 0, last: .max).capacity == .max)
    }

    @Test("random operations agree with a set-based model", arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func matchesModel(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let first = UInt128(random.next() % 1000)
        let size = UInt128(1 + random.next() % 40)
        var space = FreeSpace(first: first, last: first + size - 1)
        var taken: Set<UInt128> = []
        for _ in 0..<2000 {
            let index = first + UInt128(random.next() % UInt64(size + 2)) - 1
            switch random.next() % 3 {
            case 0:
                let expected = (first..<first + size).first { !taken.contains($0) }
                #expect(space.takeLowest() == expected)
                if let expected { taken.insert(expected) }
            case 1:
                let fits = index >= first && index < first + size && !taken.contains(index)
                let took = space.take(index)
                #expect(took == fits)
                if fits { taken.insert(index) }
            default:
                if let some = taken.randomElement(using: &random) {
                    space.free(some)
                    taken.remove(some)
                }
            }
            #expect(space.inUse == UInt128(taken.count))
            #expect(space.isFree(index) == (index >= first && index < first + size && !taken.contains(index)))
        }
    }
}

@Suite("avoidBuggyIPs numbering")
struct AddressIndexingTests {
    @Test("IPv4 numbering skips .0 and .255 and is monotone")
    func skipsBuggy() {
        let indexing = AddressIndexing(family: .ipv4, avoidBuggyIPs: true)
        var previous: UInt128?
        for address in UInt128(0x0A00_00F0)...UInt128(0x0A00_0210) {
            let low = address & 0xff
            guard let index = indexing.index(of: address) else {
                #expect(low == 0 || low == 255)
                continue
            }
            #expect(low != 0 && low != 255)
            #expect(indexing.address(at: index) == address)
            if let previous { #expect(index == previous + 1) }
            previous = index
        }
    }

    @Test(
        "usable part of a range",
        arguments: [
            ("10.0.0.0/24", "10.0.0.1", "10.0.0.254"),
            ("10.0.0.255-10.0.1.0", nil, nil),
            ("10.0.0.255-10.0.1.1", "10.0.1.1", "10.0.1.1"),
            ("10.0.0.0/23", "10.0.0.1", "10.0.1.254"),
            ("0.0.0.0-0.0.0.1", "0.0.0.1", "0.0.0.1"),
            ("255.255.255.255", nil, nil),
            ("0.0.0.0", nil, nil),
        ] as [(String, String?, String?)]
    )
    func usableRange(entry: String, first: String?, last: String?) {
        let indexing = AddressIndexing(family: .ipv4, avoidBuggyIPs: true)
        let indices = indexing.indices(of: ranges([entry])[0])
        #expect(indices.map { indexing.address(at: $0.lowerBound) } == first.map { ip($0).integer })
        #expect(indices.map { indexing.address(at: $0.upperBound) } == last.map { ip($0).integer })
    }

    @Test("IPv6 is never affected by avoidBuggyIPs")
    func ipv6Unaffected() {
        let indexing = AddressIndexing(family: .ipv6, avoidBuggyIPs: true)
        #expect(indexing.index(of: ip("2001:db8::ff").integer) == ip("2001:db8::ff").integer)
        #expect(indexing.index(of: ip("2001:db8::").integer) == ip("2001:db8::").integer)
    }
}
