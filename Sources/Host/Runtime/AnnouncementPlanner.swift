import HeraldConfig
import HeraldCore
import HeraldPluginHost

/// Decides what each plugin instance on this node should announce for the configured static VIPs. Pure.
///
/// Without a cluster this node is the only candidate, so it wins every exclusive (L2) election; routed plugins get
/// aggregated prefixes when the advertisement asks for them (one announcement per aggregate, serving every VIP in it).
public enum AnnouncementPlanner {
    /// - Parameter kinds: the kind of each available instance, by instance name.
    public static func plan(
        _ config: HeraldConfiguration, nodeLabels: [String: String], kinds: [String: PluginInfo.Kind]
    ) -> [String: [String: HostAnnouncement]] {
        var plan: [String: [String: HostAnnouncement]] = [:]
        for vip in config.staticVIPs {
            guard let pool = config.pool(containing: vip.address) else { continue }
            for ad in config.advertisements where ad.covers(pool: pool.name) && ad.selects(nodeLabels: nodeLabels) {
                if !vip.advertisements.isEmpty && !vip.advertisements.contains(ad.name) { continue }
                guard let kind = kinds[ad.plugin] else { continue }
                let width = vip.address.family.bitWidth
                let requested = vip.address.family == .ipv4 ? ad.aggregationLength : ad.aggregationLengthV6
                let length = kind == .routed ? (requested ?? width) : width
                let network = IPAddress(
                    family: vip.address.family,
                    integer: vip.address.integer & IPPrefix.mask(family: vip.address.family, length: length))
                let id = "\(ad.name)/\(network)/\(length)"
                var announcement =
                    plan[ad.plugin, default: [:]][id]
                    ?? HostAnnouncement(
                        id: id, address: network, prefixLength: length, services: [],
                        attributesJSON: ad.attributesJSON, advertisement: ad.name)
                for service in vip.services where !announcement.services.contains(service) {
                    announcement.services.append(service)
                }
                announcement.services.sort()
                plan[ad.plugin, default: [:]][id] = announcement
            }
        }
        return plan
    }

    /// What to change to go from `current` to `desired` for one instance: withdrawals first, then announcements
    /// (new ids, or ids whose details changed).
    public static func diff(
        current: [String: HostAnnouncement], desired: [String: HostAnnouncement]
    ) -> (withdraw: [String], announce: [HostAnnouncement]) {
        let withdraw = current.keys.filter { desired[$0] == nil }.sorted()
        let announce = desired.values.filter { current[$0.id] != $0 }.sorted { $0.id < $1.id }
        return (withdraw, announce)
    }
}
