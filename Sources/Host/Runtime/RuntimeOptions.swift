import HeraldConfig
import HeraldConfigModel
import HeraldKube
import HeraldKubeModels
import HeraldPluginHost
import HeraldStatus

/// Everything `herald run` is told: where the configuration and plugins come from, which mode, who this node is.
package struct RuntimeOptions: Sendable {
    /// Where service addresses come from besides the static VIPs.
    package enum Mode: Sendable {
        /// A Kubernetes cluster: Services get addresses from the elected allocator and are announced.
        case kubernetes(KubeClientConfiguration)
        /// A directory of Kubernetes YAML manifests, watched for changes (Herald without a cluster).
        case manifests(directory: String)
        /// Static VIPs only.
        case standalone
    }

    /// What a stop (SIGTERM, SIGINT) means to the plugins (`--on-stop`).
    package enum StopMode: String, Sendable, CaseIterable {
        /// The node leaves: every instance withdraws everything.
        case withdraw
        /// The process will be back (a rolling upgrade): an instance that can leave its announcements in the network
        /// through a restart does (BGP peers with `gracefulRestart` keep the routes as stale); the others withdraw.
        case restart
    }

    /// Leader election timing for the allocator role (client-go's defaults).
    package struct LeaderElection: Sendable {
        package var leaseDuration: Duration = .seconds(15)
        package var renewDeadline: Duration = .seconds(10)
        package var retryPeriod: Duration = .seconds(2)

        package init() {}
    }

    /// Which parts of Herald run on a cluster (`--role`), so that the allocator and the speakers can run under
    /// ServiceAccounts of their own (`deploy/rbac.yaml`).
    package enum Role: String, Sendable, CaseIterable {
        /// Both, in every pod: each host is an allocator candidate and a speaker.
        case all
        /// The allocator alone (a Deployment): elected, writes Service statuses and their Events; loads no plugin,
        /// announces nothing and renews no membership lease.
        case allocator
        /// The speaker alone (a DaemonSet): announces, renews its membership lease and writes its Events; never
        /// writes a Service.
        case speaker

        /// Runs the allocator election and, when elected, the allocator.
        package var allocates: Bool { self != .speaker }
        /// Runs plugins and announces.
        package var speaks: Bool { self != .allocator }

        /// The configuration this role works with: the allocator's has no advertisements (it announces nothing).
        package func configuration(_ config: HeraldConfiguration) -> HeraldConfiguration {
            guard !speaks else { return config }
            var config = config
            config.advertisements = []
            return config
        }
    }

    /// MetalLB mode (`--metallb-namespace`, `metallb.namespace`): pools, advertisements and the plugin instances
    /// they need come from MetalLB's objects in `namespace`; BGP passwords are written under `passwordDirectory`.
    package struct MetalLB: Sendable {
        package var namespace: String
        package var passwordDirectory: String

        package init(namespace: String, passwordDirectory: String = "/run/herald/metallb") {
            self.namespace = namespace
            self.passwordDirectory = passwordDirectory
        }
    }

    package var mode: Mode
    package var metallb: MetalLB?
    /// Which parts run in Kubernetes mode.
    package var role = Role.all
    package var onStop = StopMode.withdraw
    package var config: HeraldConfiguration
    /// The file the configuration came from (reloaded on SIGHUP); nil for the embedded default.
    package var configPath: String?
    package var pluginEntries: [PluginDirectory.Entry]
    package var pluginsDirectory: String?
    package var loader: PluginLoader
    package var nodeName: String?
    /// Herald's namespace (its leases); from `--namespace`, else the pod's, else `herald-system`.
    package var namespace: String
    package var leaderElection = LeaderElection()
    /// Membership lease timing (renew 1 s, duration 3 s).
    package var membership = KubernetesMode.Timing()
    /// Whether herald.yaml and plugins.d are followed on disk (a change reloads them as SIGHUP does); nil for the
    /// default: on in Kubernetes mode (a ConfigMap edited in place), off otherwise.
    package var watchConfig: Bool?
    /// What herald.yaml and plugins.d resolved to when they were read for this run: a change after that reading is
    /// followed even if it comes before the runtime is up.
    package var configIdentities: FileIdentities?
    /// Where to serve the status endpoints; nil for none.
    package var statusAddress: (host: String, port: Int)?
    package var version: String
    /// The process's metrics registry: `/metrics` renders it, the plugin instances and the allocator record into it.
    package var metrics = HeraldMetrics()

    package init(
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
