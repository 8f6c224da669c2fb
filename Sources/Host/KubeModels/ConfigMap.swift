/// v1 `ConfigMap`, as `herald status` reads one: Herald's own configuration as deployed (`herald-config`, key
/// `herald.yaml`; `herald-plugins`, one key per plugins.d file).
public struct ConfigMap: KubeResource, Equatable {
    public static let apiVersion = "v1"
    public static let kind = "ConfigMap"
    public static let plural = "configmaps"
    public static let namespaced = true

    public var apiVersion: String? = ConfigMap.apiVersion
    public var kind: String? = ConfigMap.kind
    public var metadata: ObjectMeta
    /// Text values by key.
    public var data: [String: String]?

    /// Creates a ConfigMap.
    public init(metadata: ObjectMeta, data: [String: String]? = nil) {
        self.metadata = metadata
        self.data = data
    }
}
