// The address types in the package API of the codecs and responders, for the ARP and NDP targets and the tests.
@_exported import HeraldAddresses
import PluginKit

/// What a layer-2 protocol tells the host about its plugin.
package protocol L2PluginDescribed {
    static var pluginInfo: PluginInfo { get }
    /// A classic BPF program for the protocol's packet sockets, or nil to receive every frame of its EtherType.
    static var socketFilter: [SocketFilterInstruction]? { get }
}

/// The ARP or NDP plugin: a `HeraldPlugin` over one `L2Announcer`. Each plugin target exports one specialisation
/// (`PluginExporter(L2Plugin<ARPResponder>.self)`).
///
/// Configuration keys: see `L2Configuration`. Announcement attribute `interfaces` limits one advertisement.
package final class L2Plugin<R: L2Responder & L2PluginDescribed>: HeraldPlugin {
    package typealias Configuration = L2Configuration

    package static var info: PluginInfo { R.pluginInfo }

    private let announcer: L2Announcer<R>

    package init(configuration: Configuration, node: NodeInfo, host: PluginHost) throws {
        announcer = L2Announcer(configuration: configuration, host: host, filter: R.socketFilter)
    }

    package func start() throws { try announcer.start() }
    package func announce(_ announcement: Announcement) throws { try announcer.announce(announcement) }
    package func withdraw(id: String) throws { announcer.withdraw(id: id) }
    package func stop() { announcer.stop() }
    package func health() -> Health { announcer.health() }
    package func collectMetrics(into writer: MetricsWriter) { announcer.collectMetrics(into: writer) }
}

extension ARPResponder: L2PluginDescribed {
    /// The `arp` plugin: answers ARP requests for announced IPv4 addresses with the interface's hardware address
    /// (RFC 826) and sends gratuitous ARP on announce (RFC 5227 section 3). Exclusive: one node per address.
    package static var pluginInfo: PluginInfo {
        PluginInfo(
            id: "dev.herald.arp",
            name: "ARP announcer",
            version: "1.0.0",
            description:
                "Answers ARP for announced IPv4 addresses on the local segment and sends gratuitous ARP on takeover.",
            protocols: ["arp"],
            kind: .exclusive
        )
    }

    /// A socket bound to the ARP EtherType receives only ARP frames: no filter needed.
    package static var socketFilter: [SocketFilterInstruction]? { nil }
}

extension NDPResponder: L2PluginDescribed {
    /// The `ndp` plugin: answers Neighbor Solicitations for announced IPv6 addresses (RFC 4861 section 7.2.4), joins
    /// their solicited-node groups, and sends unsolicited advertisements with the override flag on announce
    /// (section 7.2.6). Exclusive: one node per address.
    package static var pluginInfo: PluginInfo {
        PluginInfo(
            id: "dev.herald.ndp",
            name: "NDP announcer",
            version: "1.0.0",
            description: "Answers Neighbor Solicitations for announced IPv6 addresses and advertises takeovers.",
            protocols: ["ndp"],
            kind: .exclusive
        )
    }

    package static var socketFilter: [SocketFilterInstruction]? { NDPSocketFilter.neighborDiscovery }
}
