import HeraldCore
import Testing

@testable import HeraldIPAM

@Suite("Address sharing")
struct SharingTests {
    struct Pair: Sendable, CustomTestStringConvertible {
        var name: String
        var first: ServiceRequest
        var second: ServiceRequest
        /// nil when the second may share the first's address.
        var conflict: SharingConflict.Reason?
        var testDescription: String { name }
    }

    static let selector = ["app": "web"]
    static let pairs: [Pair] = [
        Pair(
            name: "same key, different ports, both Cluster",
            first: service("a", key: "k", ports: [tcp80]),
            second: service("b", key: "k", ports: [tcp443]),
            conflict: nil
        ),
        Pair(
            name: "same port number, different protocols",
            first: service("a", key: "k", ports: [ServicePort(.tcp, 53)]),
            second: service("b", key: "k", ports: [udp53]),
            conflict: nil
        ),
        Pair(
            name: "same key, same (protocol, port)",
            first: service("a", key: "k", ports: [tcp80, tcp443]),
            second: service("b", key: "k", ports: [tcp443]),
            conflict: .portClash(tcp443)
        ),
        Pair(
            name: "different keys",
            first: service("a", key: "k1", ports: [tcp80]),
            second: service("b", key: "k2", ports: [tcp443]),
            conflict: .differentKey(holderKey: "k1", requesterKey: "k2")
        ),
        Pair(
            name: "holder has no key",
            first: service("a", ports: [tcp80]),
            second: service("b", key: "k", ports: [tcp443]),
            conflict: .holderDoesNotShare
        ),
        Pair(
            name: "requester has no key",
            first: service("a", key: "k", ports: [tcp80]),
            second: service("b", ports: [tcp443]),
            conflict: .requesterDoesNotShare(holderKey: "k")
        ),
        Pair(
            name: "both Local with identical selectors",
            first: service("a", key: "k", ports: [tcp80], backend: .local(selector: selector)),
            second: service("b", key: "k", ports: [tcp443], backend: .local(selector: selector)),
            conflict: nil
        ),
        Pair(
            name: "both Local with different selectors",
            first: service("a", key: "k", ports: [tcp80], backend: .local(selector: selector)),
            second: service("b", key: "k", ports: [tcp443], backend: .local(selector: ["app": "db"])),
            conflict: .differentBackend(
                holderBackend: .local(selector: selector),
                requesterBackend: .local(selector: ["app": "db"])
            )
        ),
        Pair(
            name: "Local and Cluster",
            first: service("a", key: "k", ports: [tcp80], backend: .local(selector: selector)),
            second: service("b", key: "k", ports: [tcp443]),
            conflict: .differentBackend(holderBackend: .local(selector: selector), requesterBackend: .cluster)
        ),
    ]

    @Test("MetalLB's compatibility rules, on a requested address", arguments: pairs)
    func requested(_ pair: Pair) throws {
        var allocator = try allocator(pool("p", "10.0.0.0/24"))
        #expect(allocator.allocate(pair.first).addresses == ["10.0.0.0"])
        var second = pair.second
        second.requestedAddresses = [ip("10.0.0.0")]
        let result = allocator.allocate(second)
        if let conflict = pair.conflict {
            #expect(
                result.failure?.reason
                    == .addressTaken(ip("10.0.0.0"), SharingConflict(holder: pair.first.id, reason: conflict))
            )
            #expect(allocator.services(holding: ip("10.0.0.0")) == [pair.first.id])
        } else {
            #expect(result.addresses == ["10.0.0.0"])
            #expect(allocator.services(holding: ip("10.0.0.0")) == [pair.first.id, pair.second.id])
        }
    }

    @Test("MetalLB's compatibility rules, on automatic allocation", arguments: pairs)
    func automatic(_ pair: Pair) throws {
        var allocator = try allocator(pool("p", "10.0.0.0/24"))
        _ = allocator.allocate(pair.first)
        #expect(allocator.allocate(pair.second).addresses == [pair.conflict == nil ? "10.0.0.0" : "10.0.0.1"])
    }

    @Test("a shared address is preferred over a lower free one, and the lowest compatible one is chosen")
    func prefersShared() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/24"))
        _ = allocator.allocate(service("x"))
        _ = allocator.allocate(service("a", key: "k", ports: [tcp80]))
        _ = allocator.allocate(service("b", key: "k", ports: [tcp80]))
        _ = allocator.release(id("x"))
        #expect(allocator.allocate(service("c", key: "k", ports: [tcp443])).addresses == ["10.0.0.1"])
        #expect(allocator.allocate(service("d", key: "k", ports: [tcp80])).addresses == ["10.0.0.0"])
    }

    @Test("a shared address stays held until its last holder goes")
    func lastHolderFrees() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/32"))
        _ = allocator.allocate(service("a", key: "k", ports: [tcp80]))
        _ = allocator.allocate(service("b", key: "k", ports: [tcp443]))
        #expect(allocator.statistics()[0].usage[.ipv4]?.inUse == 1)
        #expect(allocator.statistics()[0].services == 2)
        #expect(allocator.release(id("a")).freed.isEmpty)
        #expect(allocator.allocate(service("c")).failure?.code == .poolExhausted)
        #expect(allocator.release(id("b")).freed == [ip("10.0.0.0")])
        #expect(allocator.allocate(service("c")).addresses == ["10.0.0.0"])
    }

    @Test("a sole holder may change its sharing key and keep its address")
    func soleHolderChangesKey() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/24"))
        _ = allocator.allocate(service("a", key: "old", ports: [tcp80]))
        #expect(allocator.allocate(service("a", key: "new", ports: [tcp80])).addresses == ["10.0.0.0"])
        // The address is now shared under the new key only.
        #expect(allocator.allocate(service("b", key: "new", ports: [tcp443])).addresses == ["10.0.0.0"])
        #expect(allocator.allocate(service("c", key: "old", ports: [tcp443])).addresses == ["10.0.0.1"])
        // Dropping the key entirely is also fine for a sole holder.
        #expect(allocator.allocate(service("c", ports: [tcp443])).addresses == ["10.0.0.1"])
    }

    @Test("a holder that changes its key while sharing moves, and the others keep the address")
    func sharedHolderChangesKey() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/24"))
        _ = allocator.allocate(service("a", key: "k", ports: [tcp80]))
        _ = allocator.allocate(service("b", key: "k", ports: [tcp443]))
        #expect(allocator.allocate(service("b", key: "other", ports: [tcp443])).addresses == ["10.0.0.1"])
        #expect(allocator.services(holding: ip("10.0.0.0")) == [id("a")])
    }

    @Test("a sharer whose ports come to clash moves to another address")
    func portsChange() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/24"))
        _ = allocator.allocate(service("a", key: "k", ports: [tcp80]))
        _ = allocator.allocate(service("b", key: "k", ports: [tcp443]))
        #expect(allocator.allocate(service("b", key: "k", ports: [tcp80])).addresses == ["10.0.0.1"])
    }

    @Test("the conflict message says what to do")
    func messages() {
        let conflict = SharingConflict(holder: id("ns/a"), reason: .requesterDoesNotShare(holderKey: "k"))
        #expect(conflict.description == "it is held by ns/a; set the annotation allow-shared-ip: \"k\" to share it")
        let clash = SharingConflict(holder: id("ns/a"), reason: .portClash(tcp443))
        #expect(clash.description == "it is held by ns/a, which also exposes 443/TCP")
    }
}
