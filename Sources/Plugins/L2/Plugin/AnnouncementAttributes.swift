import PluginKit

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The keys of an announcement's `attributes_json` that the layer-2 plugins use. Other keys belong to other
/// plugins and are ignored.
struct AnnouncementAttributes: Decodable {
    /// Interfaces this advertisement is limited to (MetalLB's L2Advertisement `interfaces`), names or globs.
    var interfaces: InterfacePatterns?

    enum CodingKeys: String, CodingKey { case interfaces }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let list = try c.decodeIfPresent([String].self, forKey: .interfaces)
        interfaces = list.flatMap { $0.isEmpty ? nil : InterfacePatterns($0) }
    }

    init(json: String) throws {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(json.utf8))
        } catch {
            throw PluginError(
                .invalidArgument, "announcement attributes: `interfaces` must be a list of strings (\(error))")
        }
    }
}
