/// core/v1 `Event`, with the de-duplication fields `count`, `firstTimestamp` and `lastTimestamp`.
public struct Event: KubeResource, Hashable {
    public static let apiVersion = "v1"
    public static let kind = "Event"
    public static let plural = "events"
    public static let namespaced = true

    public var apiVersion: String? = Event.apiVersion
    public var kind: String? = Event.kind
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String?
    public var message: String?
    public var type: String?
    public var count: Int?
    public var firstTimestamp: String?
    public var lastTimestamp: String?
    public var source: Source?
    public var reportingComponent: String?
    public var reportingInstance: String?

    /// Creates an event.
    public init(metadata: ObjectMeta, involvedObject: ObjectReference, reason: String?, message: String?, type: String?)
    {
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.type = type
    }

    /// `EventSource`.
    public struct Source: Codable, Sendable, Hashable {
        public var component: String?
        public var host: String?

        public init(component: String? = nil, host: String? = nil) {
            self.component = component
            self.host = host
        }
    }
}

/// `ObjectReference`: the object an Event is about.
public struct ObjectReference: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var uid: String?

    /// Creates a reference.
    public init(apiVersion: String? = nil, kind: String?, namespace: String?, name: String?, uid: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }

    /// A reference to an object of a known type.
    public init<T: KubeResource>(_ object: T) {
        self.init(
            apiVersion: T.apiVersion, kind: T.kind, namespace: object.metadata.namespace, name: object.metadata.name,
            uid: object.metadata.uid)
    }
}
