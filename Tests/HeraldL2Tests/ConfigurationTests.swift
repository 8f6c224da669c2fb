import Foundation
import HeraldL2
import PluginKit
import Testing

/// The `config` keys shared by the ARP and NDP plugins, decoded as the kit decodes them (JSON from plugins.d).
struct ConfigurationTests {
    func decode(_ json: String) throws -> L2Configuration {
        try JSONDecoder().decode(L2Configuration.self, from: Data(json.utf8))
    }

    @Test func defaultsSelectAutomaticallyWithThreeRounds() throws {
        let c = try decode("{}")
        #expect(c.interfaces == nil && c.excludeInterfaces.isEmpty)
        #expect(c.gratuitous.count == 3 && c.gratuitous.intervalMs == 500)
    }

    @Test func everyKeyDecodes() throws {
        let c = try decode(
            #"{"interfaces":["eth*"],"excludeInterfaces":["eth9"],"gratuitous":{"count":5,"intervalMs":100},"rescanIntervalMs":500}"#
        )
        #expect(c.interfaces == ["eth*"] && c.excludeInterfaces == ["eth9"])
        #expect(c.gratuitous.count == 5 && c.gratuitous.intervalMs == 100 && c.rescanIntervalMs == 500)
    }

    @Test(arguments: [
        (#"{"interface":["eth0"]}"#, "unknown key \"interface\""),
        (#"{"gratuitous":{"count":3,"interval":5}}"#, "unknown key \"gratuitous.interval\""),
        (#"{"gratuitous":{"count":0}}"#, "config.gratuitous.count"),
        (#"{"gratuitous":{"intervalMs":1}}"#, "config.gratuitous.intervalMs"),
        (#"{"interfaces":[]}"#, "config.interfaces"),
        (#"{"rescanIntervalMs":5}"#, "config.rescanIntervalMs"),
    ])
    func mistakesAreRejectedWithTheirKey(json: String, message: String) {
        do {
            _ = try decode(json)
            Issue.record("accepted \(json)")
        } catch let error as PluginError {
            #expect(error.code == .config)
            #expect(error.message.contains(message), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func automaticSelectionSkipsLoopbackVirtualAndEnslavedInterfaces() {
        let selection = InterfaceSelection(include: nil, exclude: ["eth2"])
        func interface(_ name: String, flags: Int32 = 0x1043, enslaved: Bool = false) -> NetworkInterface {
            // 0x1043: IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST
            NetworkInterface(name: name, index: 1, mac: .zero, flags: UInt32(flags), isEnslaved: enslaved)
        }
        #expect(selection.selects(interface("eth0")))
        #expect(!selection.selects(interface("lo", flags: 0x49)))
        #expect(!selection.selects(interface("veth12ab")))
        #expect(!selection.selects(interface("cali0")))
        #expect(!selection.selects(interface("eth1", enslaved: true)))
        #expect(!selection.selects(interface("eth2")), "excluded by configuration")
        #expect(!selection.selects(interface("tun0", flags: 0x10D1)), "point-to-point")
        let explicit = InterfaceSelection(include: ["veth*"], exclude: [])
        #expect(explicit.selects(interface("veth12ab")), "explicit patterns override the defaults")
    }
}
