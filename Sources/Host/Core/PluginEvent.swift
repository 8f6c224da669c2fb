/// Something a plugin instance reported for operators (becomes a Kubernetes Event in a cluster): from the plugin's
/// `emit_event` callback to the Event on the Services of the announcement it names (or on the Node).
public struct PluginEvent: Sendable, Hashable {
    public var instance: String
    public var warning: Bool
    public var reason: String
    public var message: String
    /// The announcement the event is about, if any.
    public var announcementID: String?

    public init(instance: String, warning: Bool, reason: String, message: String, announcementID: String? = nil) {
        self.instance = instance
        self.warning = warning
        self.reason = reason
        self.message = message
        self.announcementID = announcementID
    }
}
