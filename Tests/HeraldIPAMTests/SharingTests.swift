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
            conflict: .differentKey
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
            conflict: .requesterDoesNotShare
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
                    == .addressTaken(
                        ip("10.0.0.0"),
                        SharingConflict(holder: pair.first.id, requester: pair.second.id, reason: conflict))
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

    @Test("the conflict message says what to do, and prints no sharing key")
    func messages() {
        let conflict = SharingConflict(holder: id("ns/a"), requester: id("ns/b"), reason: .requesterDoesNotShare)
        #expect(
            conflict.description == "it is held by ns/a; set the same allow-shared-ip annotation as ns/a to share it")
        let clash = SharingConflict(holder: id("ns/a"), requester: id("ns/b"), reason: .portClash(tcp443))
        #expect(clash.description == "it is held by ns/a, which also exposes 443/TCP")
        let key = SharingConflict(holder: id("ns/a"), requester: id("ns/b"), reason: .differentKey)
        #expect(key.description == "it is held by ns/a with a different allow-shared-ip key")
    }

    /// The key is the permission to share (MetalLB's rule): a refusal must not hand it to whoever asks, and must not
    /// name a Service of another namespace, nor tell apart why it refuses.
    @Test("a refused Service of another namespace learns neither the key nor the holder", arguments: pairs)
    func otherNamespaceLearnsNothing(_ pair: Pair) throws {
        guard pair.conflict != nil else { return }
        var allocator = try allocator(pool("p", "10.0.0.0/24"))
        var holder = pair.first
        holder.id = id("team-a/holder")
        holder.sharingKey = holder.sharingKey.map { _ in "s3cret-key" }
        #expect(allocator.allocate(holder).addresses == ["10.0.0.0"])
        var intruder = pair.second
        intruder.id = id("team-b/intruder")
        intruder.sharingKey = intruder.sharingKey.map { _ in "guess" }
        intruder.requestedAddresses = [ip("10.0.0.0")]
        if pair.second.sharingKey == pair.first.sharingKey { intruder.sharingKey = holder.sharingKey }
        let error = try #require(allocator.allocate(intruder).failure)
        for text in [error.description, error.detail] {
            #expect(!text.contains("s3cret-key"), "\(text)")
            #expect(!text.contains("guess"), "\(text)")
            #expect(!text.contains("team-a") && !text.contains("holder"), "\(text)")
        }
        #expect(
            error.detail
                == "requested 10.0.0.0 cannot be assigned: it is held by a Service of another namespace that it "
                + "cannot share it with (sharing needs the same allow-shared-ip key, the same backends and no port "
                + "in common)")
    }

    @Test("with the cluster scope, the right key shares across namespaces (MetalLB's rule)")
    func clusterScopeSharesAcrossNamespaces() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/24"))
        _ = allocator.allocate(service("a/web", key: "k", ports: [tcp80]))
        #expect(
            allocator.allocate(service("b/web", addresses: ["10.0.0.0"], key: "k", ports: [tcp443])).addresses == [
                "10.0.0.0"
            ])
    }

    @Test("with sharingScope namespace, the right key is refused to another namespace")
    func namespaceScopeRefusesOtherNamespace() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/24", sharingScope: .namespace))
        _ = allocator.allocate(service("a/web", key: "k", ports: [tcp80]))
        let refused = allocator.allocate(service("b/web", addresses: ["10.0.0.0"], key: "k", ports: [tcp443]))
        #expect(
            refused.failure?.reason
                == .addressTaken(
                    ip("10.0.0.0"),
                    SharingConflict(holder: id("a/web"), requester: id("b/web"), reason: .otherNamespace(pool: "p"))))
        let text = try #require(refused.failure?.detail)
        #expect(
            text == "requested 10.0.0.0 cannot be assigned: it is held by a Service of another namespace, and pool "
                + "\"p\" shares addresses only among Services of one namespace (sharingScope: namespace)")
        #expect(!text.contains("\"k\"") && !text.contains("a/web"))
        // Automatic allocation does not join the other namespace's address either.
        #expect(allocator.allocate(service("b/auto", key: "k", ports: [tcp443])).addresses == ["10.0.0.1"])
        // The same namespace still shares, on request and automatically.
        #expect(
            allocator.allocate(service("a/api", addresses: ["10.0.0.0"], key: "k", ports: [tcp443])).addresses == [
                "10.0.0.0"
            ])
        #expect(allocator.allocate(service("a/dns", key: "k", ports: [udp53])).addresses == ["10.0.0.0"])
        #expect(allocator.services(holding: ip("10.0.0.0")) == [id("a/api"), id("a/dns"), id("a/web")])
    }

    @Test("turning sharingScope to namespace displaces the later sharer of another namespace")
    func scopeChangeDisplaces() throws {
        var allocator = try allocator(pool("p", "10.0.0.0/24"))
        _ = allocator.allocate(service("a/web", key: "k", ports: [tcp80]))
        _ = allocator.allocate(service("b/web", addresses: ["10.0.0.0"], key: "k", ports: [tcp443]))
        #expect(allocator.services(holding: ip("10.0.0.0")).count == 2)
        let change = try allocator.setPools([pool("p", "10.0.0.0/24", sharingScope: .namespace)])
        #expect(change.displaced[id("b/web")]?.code == .addressTaken)
        #expect(allocator.services(holding: ip("10.0.0.0")) == [id("a/web")])
    }
}
