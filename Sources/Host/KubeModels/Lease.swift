/// coordination.k8s.io/v1 `Lease`: leader election and node membership. Herald owns every field of its leases, so
/// it writes them whole with PUT and the read resourceVersion.
public struct Lease: KubeResource, Hashable {
    public static let apiVersion = "coordination.k8s.io/v1"
    public static let kind = "Lease"
    public static let plural = "leases"
    public static let namespaced = true

    public var apiVersion: String? = Lease.apiVersion
    public var kind: String? = Lease.kind
    public var metadata: ObjectMeta
    public var spec: Spec?

    /// Creates a lease.
    public init(metadata: ObjectMeta, spec: Spec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }

    /// `LeaseSpec`.
    public struct Spec: Codable, Sendable, Hashable {
        public var holderIdentity: String?
        public var leaseDurationSeconds: Int?
        public var acquireTime: MicroTime?
        public var renewTime: MicroTime?
        public var leaseTransitions: Int?

        /// Creates a spec.
        public init(
            holderIdentity: String? = nil, leaseDurationSeconds: Int? = nil, acquireTime: MicroTime? = nil,
            renewTime: MicroTime? = nil, leaseTransitions: Int? = nil
        ) {
            self.holderIdentity = holderIdentity
            self.leaseDurationSeconds = leaseDurationSeconds
            self.acquireTime = acquireTime
            self.renewTime = renewTime
            self.leaseTransitions = leaseTransitions
        }
    }
}
