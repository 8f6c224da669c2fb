/// One announcement as the host plans it and hands it to a plugin instance (PluginKit's `Announcement` on the
/// plugin's side): an address or covering prefix, the services it
/// serves, and the advertisement it goes out under.
public struct PlannedAnnouncement: Sendable, Hashable {
    /// Stable id (`<advertisement>/<address>/<length>`); withdraw names the same id.
    public var id: String
    public var address: IPAddress
    public var prefixLength: Int
    /// Every service the address serves, sorted (plugins see each as `namespace/name`).
    public var services: [ServiceID]
    public var attributesJSON: String
    public var advertisement: String

    public init(
        id: String, address: IPAddress, prefixLength: Int, services: [ServiceID], attributesJSON: String = "{}",
        advertisement: String
    ) {
        self.id = id
        self.address = address
        self.prefixLength = prefixLength
        self.services = services
        self.attributesJSON = attributesJSON
        self.advertisement = advertisement
    }
}
