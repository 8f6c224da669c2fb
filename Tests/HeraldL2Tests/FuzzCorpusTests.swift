import Foundation
import HeraldL2
import Testing

/// Replays every file of Tests/FuzzCorpus/l2 (seeds, and any input scripts/fuzz-l2 found crashing) through both
/// codecs and responders: none may trap.
struct FuzzCorpusTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzCorpus/l2")

    @Test func everyFuzzCorpusFileParsesWithoutTrapping() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).sorted()
        #expect(names.count >= 3, "corpus missing at \(Self.directory.path)")
        let mac = MACAddress(2, 0, 0, 0, 0, 1)
        var answered = 0
        var conflicts: Set<String> = []
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(name)))
            var arp = ARPResponder()
            var ndp = NDPResponder()
            if case .frame(let f) = ARPFrame.parse(bytes) {
                _ = arp.announce(id: "x", address: f.targetAddress, interfaces: nil)
                _ = arp.announce(id: "y", address: f.senderAddress, interfaces: nil)
            }
            switch NDPFrame.parse(bytes) {
            case .solicitation(let s): _ = ndp.announce(id: "x", address: s.target, interfaces: nil)
            case .advertisement(let a): _ = ndp.announce(id: "x", address: a.target, interfaces: nil)
            case .ignore, .drop: break
            }
            let results = bytes.withUnsafeBytes {
                [
                    arp.handle($0, packetType: .broadcast, interface: "eth0", mac: mac),
                    ndp.handle($0, packetType: .multicast, interface: "eth0", mac: mac),
                ]
            }
            answered += results.filter { $0.frameToSend != nil }.count
            for case .conflict(let c, _) in results {
                #expect(c.otherMAC != mac && !c.announcementIDs.isEmpty)
                conflicts.insert(c.address)
            }
        }
        // The seeds include one valid ARP request and one valid solicitation, a gratuitous ARP and an unsolicited
        // advertisement from another station.
        #expect(answered >= 2)
        #expect(conflicts.isSuperset(of: ["198.51.100.130", "2001:db8::150"]), "\(conflicts)")
    }
}
