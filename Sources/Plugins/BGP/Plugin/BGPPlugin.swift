import HeraldBGP
import PluginKit

/// The `bgp` plugin (`libherald-bgp.so`): a BGP-4 speaker (RFC 4271) that announces the host's addresses to the
/// configured peers, IPv4 and IPv6 (RFC 4760), with communities (RFC 1997), large communities (RFC 8092) and Graceful
/// Restart (RFC 4724). Routed: every eligible node announces, so peers see one path per node (ECMP).
///
/// Configuration keys: see `BGPConfiguration`. Announcement attributes: see `BGPAnnouncementAttributes`.
public final class BGPPlugin: HeraldPlugin {
    public typealias Configuration = BGPConfiguration

    public static var info: PluginInfo {
        PluginInfo(
            id: "dev.herald.bgp",
            name: "BGP announcer",
            version: "1.0.0",
            description: "Announces addresses to BGP peers (IPv4 and IPv6 unicast) from every eligible node.",
            protocols: ["bgp"],
            kind: .routed
        )
    }

    private let speaker: BGPSpeaker

    public init(configuration: Configuration, node: NodeInfo, host: PluginHost) throws {
        speaker = try BGPSpeaker(configuration: configuration, node: node, host: host)
    }

    public func start() throws { try speaker.start() }
    public func announce(_ announcement: Announcement) throws { try speaker.announce(announcement) }
    public func withdraw(id: String) throws { speaker.withdraw(id: id) }
    /// Sends Cease to every peer, which withdraws every route there (a normal stop). After
    /// `prepareStop(.restart)`, a peer that negotiated Graceful Restart gets no Cease and keeps the routes as stale
    /// until the restarted speaker is back.
    public func stop() { speaker.stop() }
    /// A restart keeps routes at the peers with `gracefulRestart` (see `BGPSpeaker.prepareStop(restart:)`).
    public func prepareStop(_ reason: StopReason) -> Bool { speaker.prepareStop(restart: reason == .restart) }
    public func health() -> Health { speaker.health() }
    public func collectMetrics(into writer: MetricsWriter) { speaker.collectMetrics(into: writer) }
}

private let exporter = PluginExporter(BGPPlugin.self)

@c @implementation
public func herald_plugin_entry_v1(_ major: UInt32, _ minor: UInt32) -> UnsafePointer<herald_plugin_descriptor>? {
    exporter.entry(hostMajor: major, hostMinor: minor)
}
