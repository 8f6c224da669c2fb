import HeraldConfig
import HeraldKube
import HeraldPluginHost
import HeraldConfigModel
import HeraldKubeModels

/// Everything `herald run` is told: where the configuration and plugins come from, which mode, who this node is.
public struct RuntimeOptions: Sendable {
    /// Where service addresses come from besides the static VIPs.
    public enum Mode: Sendable {
        /// A Kubernetes cluster: Services get addresses from the elected allocator and are announced.
        case kubernetes(KubeClientConfiguration)
        /// A directory of Kubernetes YAML manifests, watched for changes (Herald without a cluster).
        case manifests(directory: String)
        /// Static VIPs only.
        case standalone
    }

    /// Leader election timing for the allocator role (client-go's defaults).
    public struct LeaderElection: Sendable {
        public var leaseDuration: Duration = .seconds(15)
        public var renewDeadline: Duration = .seconds(10)
        public var retryPeriod: Duration = .seconds(2)

        public init() {}
    }

    /// Which parts of Herald run on a cluster (`--role`), so that the allocator and the speakers can run under
    /// ServiceAccounts of their own (`deploy/rbac.yaml`).
    public enum Role: String, Sendable, CaseIterable {
        /// Both, in every pod: each host is an allocator candidate and a speaker.
        case all
        /// The allocator alone (a Deployment): elected, writes Service statuses and their Events; loads no plugin,
        /// announces nothing and renews no membership lease.
        case allocator
        /// The speaker alone (a DaemonSet): announces, renews its membership lease and writes its Events; never
        /// writes a Service.
        case speaker

        /// Runs the allocator election and, when elected, the allocator.
        public var allocates: Bool { self != .speaker }
        /// Runs plugins and announces.
        public var speaks: Bool { self != .allocator }

        /// The configuration this role works with: the allocator's has no advertisements (it announces nothing).
        public func configuration(_ config: HeraldConfiguration) -> HeraldConfiguration {
            guard !speaks else { return config }
            var config = config
            config.advertisements = []
            return config
        }
    }

    public var mode: Mode
    /// Which parts run in Kubernetes mode.
    public var role = Role.all
    public var config: HeraldConfiguration
    /// The file the configuration came from (reloaded on SIGHUP); nil for the embedded default.
    public var configPath: String?
    public var pluginEntries: [PluginDirectory.Entry]
    public var pluginsDirectory: String?
    public var loader: PluginLoader
    public var nodeName: String?
    /// Herald's namespace (its leases); from `--namespace`, else the pod's, else `herald-system`.
    public var namespace: String
    public var leaderElection = LeaderElection()
    /// Membership lease timing (renew 1 s, duration 3 s).
    public var membership = KubernetesMode.Timing()
    /// Where to serve the status endpoints; nil for none.
    public var statusAddress: (host: String, port: Int)?
    public var version: String

    public init(
        mode: Mode, config: HeraldConfiguration, configPath: String?, pluginEntries: [PluginDirectory.Entry],
        pluginsDirectory: String?, loader: PluginLoader, nodeName: String?, namespace: String,
        statusAddress: (host: String, port: Int)?, version: String
    ) {
        self.mode = mode
        self.config = config
        self.configPath = configPath
        self.pluginEntries = pluginEntries
        self.pluginsDirectory = pluginsDirectory
        self.loader = loader
        self.nodeName = nodeName
        self.namespace = namespace
        self.statusAddress = statusAddress
        self.version = version
    }
}
