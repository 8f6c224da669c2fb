import HeraldL2
import PluginKit

/// The `arp` plugin: answers ARP requests for announced IPv4 addresses with the interface's hardware address
/// (RFC 826) and sends gratuitous ARP on announce (RFC 5227 section 3). Exclusive: the host elects one node per address.
///
/// Configuration keys: see `L2Configuration` (`interfaces`, `excludeInterfaces`, `gratuitous.count`,
/// `gratuitous.intervalMs`, `rescanIntervalMs`). Announcement attribute `interfaces` limits one advertisement.
final class ARPPlugin: HeraldPlugin {
    typealias Configuration = L2Configuration

    static let info = PluginInfo(
        id: "dev.herald.arp",
        name: "ARP announcer",
        version: "1.0.0",
        description: "Answers ARP for announced IPv4 addresses on the local segment and sends gratuitous ARP on takeover.",
        protocols: ["arp"],
        kind: .exclusive
    )

    private let announcer: L2Announcer<ARPResponder>

    init(configuration: Configuration, node: NodeInfo, host: PluginHost) throws {
        announcer = L2Announcer(configuration: configuration, host: host)
    }

    func start() throws { try announcer.start() }
    func announce(_ announcement: Announcement) throws { try announcer.announce(announcement) }
    func withdraw(id: String) throws { announcer.withdraw(id: id) }
    func stop() { announcer.stop() }
    func health() -> Health { announcer.health() }
    func collectMetrics(into writer: MetricsWriter) { announcer.collectMetrics(into: writer) }
}

private let exporter = PluginExporter(ARPPlugin.self)

@c @implementation
public func herald_plugin_entry_v1(_ major: UInt32, _ minor: UInt32) -> UnsafePointer<herald_plugin_descriptor>? {
    exporter.entry(hostMajor: major, hostMinor: minor)
}
