import HeraldBGP
import PluginKit

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The keys of an announcement's `attributes_json` that the BGP plugin uses: `communities` (`"64512:100"` or a
/// well-known name such as `no-export`), `largeCommunities` (`"64512:1:2"`), `localPreference` (iBGP only) and
/// `med`. Other keys belong to other plugins and are ignored.
enum BGPAnnouncementAttributes {
    private struct Raw: Decodable {
        var communities: [String]?
        var largeCommunities: [String]?
        var localPreference: Int64?
        var med: Int64?
    }

    static func parse(_ json: String) throws -> RouteAttributes {
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: Data(json.utf8))
        } catch {
            throw PluginError(
                .invalidArgument,
                "announcement attributes: communities and largeCommunities must be lists of strings, "
                    + "localPreference and med integers (\(error))")
        }
        var route = RouteAttributes()
        for text in raw.communities ?? [] {
            guard let community = Community(text: text) else {
                throw PluginError(
                    .invalidArgument,
                    "announcement attributes: community \"\(text)\" is neither ASN:VALUE nor a known name")
            }
            route.communities.append(community)
        }
        for text in raw.largeCommunities ?? [] {
            guard let community = LargeCommunity(text: text) else {
                throw PluginError(
                    .invalidArgument, "announcement attributes: large community \"\(text)\" is not A:B:C")
            }
            route.largeCommunities.append(community)
        }
        for (name, value) in [("localPreference", raw.localPreference), ("med", raw.med)] {
            if let value, !(0...4_294_967_295).contains(value) {
                throw PluginError(
                    .invalidArgument, "announcement attributes: \(name) \(value) is not within 0...4294967295")
            }
        }
        route.localPreference = raw.localPreference.map { UInt32($0) }
        route.med = raw.med.map { UInt32($0) }
        return route
    }
}
