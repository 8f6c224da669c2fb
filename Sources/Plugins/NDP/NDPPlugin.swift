import HeraldL2
import PluginKit

/// The `ndp` plugin: answers Neighbor Solicitations for announced IPv6 addresses (RFC 4861 section 7.2.4), joins
/// their solicited-node groups, and sends unsolicited Neighbor Advertisements with the override flag on announce
/// (section 7.2.6). Exclusive: the host elects one node per address.
///
/// Configuration keys: see `L2Configuration`. Announcement attribute `interfaces` limits one advertisement.
final class NDPPlugin: HeraldPlugin {
    typealias Configuration = L2Configuration

    static let info = PluginInfo(
        id: "dev.herald.ndp",
        name: "NDP announcer",
        version: "1.0.0",
        description: "Answers Neighbor Solicitations for announced IPv6 addresses and advertises takeovers.",
        protocols: ["ndp"],
        kind: .exclusive
    )

    private let announcer: L2Announcer<NDPResponder>

    init(configuration: Configuration, node: NodeInfo, host: PluginHost) throws {
        announcer = L2Announcer(configuration: configuration, host: host, filter: NDPSocketFilter.solicitations)
    }

    func start() throws { try announcer.start() }
    func announce(_ announcement: Announcement) throws { try announcer.announce(announcement) }
    func withdraw(id: String) throws { announcer.withdraw(id: id) }
    func stop() { announcer.stop() }
    func health() -> Health { announcer.health() }
    func collectMetrics(into writer: MetricsWriter) { announcer.collectMetrics(into: writer) }
}

private let exporter = PluginExporter(NDPPlugin.self)

@c @implementation
public func herald_plugin_entry_v1(_ major: UInt32, _ minor: UInt32) -> UnsafePointer<herald_plugin_descriptor>? {
    exporter.entry(hostMajor: major, hostMinor: minor)
}
