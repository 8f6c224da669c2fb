import ArgumentParser
import CoreMetrics
import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldKube
import HeraldKubeModels
import HeraldRuntime
import Logging
import Prometheus

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load the configuration and plugins, assign and announce addresses, run until SIGTERM or SIGINT.",
        discussion: """
            Kubernetes mode when --kubeconfig is given, KUBECONFIG is set, or the in-cluster service account is \
            present; a manifest directory with --manifests; otherwise the static VIPs of herald.yaml alone (or, with \
            no configuration at all, the embedded demo). SIGHUP reloads herald.yaml and plugins.d, and so does a \
            change of either on disk with --watch-config (the default in Kubernetes mode); an invalid file is \
            reported and the running configuration kept.
            """)

    @OptionGroup var options: CommonOptions
    @OptionGroup var source: SourceOptions

    @Option(
        name: .long,
        help: "This node's name (default: NODE_NAME, else node.name of the configuration, else the hostname).")
    var nodeName: String?

    @Option(name: .long, help: "Herald's namespace, for its leases (default: the pod's namespace, else herald-system).")
    var namespace: String?

    @Option(name: .long, help: "Seconds an allocator lease lasts without renewal before another host takes over.")
    var leaderElectLeaseDuration: Double = 15

    @Option(name: .long, help: "Seconds the allocator keeps trying to renew before it stops writing.")
    var leaderElectRenewDeadline: Double = 10

    @Option(name: .long, help: "Seconds between attempts to take or renew the allocator lease.")
    var leaderElectRetryPeriod: Double = 2

    @Option(name: .long, help: "Seconds between renewals of this node's membership lease.")
    var membershipRenewInterval: Double = 1

    @Option(
        name: .long,
        help: "Seconds a membership lease lasts: a node that has not renewed for that long is dead to the others.")
    var membershipLeaseDuration: Double = 3

    @Option(
        name: .long,
        help: """
            On a cluster: all (every host is an allocator candidate and a speaker), allocator (a Deployment that \
            assigns addresses and announces nothing; plugins.d is not read) or speaker (a DaemonSet that announces \
            and never writes a Service); see deploy/rbac.yaml.
            """)
    var role: RuntimeOptions.Role = .all

    @Option(
        name: .long,
        help: """
            What SIGTERM and SIGINT mean to the plugins: withdraw (the node leaves; every instance withdraws \
            everything) or restart (the process will be back, as in a rolling upgrade; BGP peers with \
            gracefulRestart keep this node's routes as stale until it is, the other instances withdraw).
            """)
    var onStop: RuntimeOptions.StopMode = .withdraw

    @Flag(
        inversion: .prefixedNo,
        help: """
            Follow herald.yaml and plugins.d on disk and reload on a change as SIGHUP does (a ConfigMap edited in \
            place); default: on in Kubernetes mode, off otherwise.
            """)
    var watchConfig: Bool?

    @Option(
        name: .long,
        help: """
            Read pools, advertisements and the plugin instances they need from MetalLB's custom resources \
            (metallb.io) in this namespace, live (as metallb.namespace in herald.yaml); herald.yaml then keeps only \
            Herald's own settings, and plugins.d files named arp, ndp or bgp complement the derived instances.
            """)
    var metallbNamespace: String?

    @Option(name: .long, help: "Where MetalLB mode writes the BGP passwords of BGPPeers (files of mode 0600).")
    var metallbPasswordDirectory: String = "/run/herald/metallb"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where to serve /metrics, /healthz and /readyz: HOST:PORT ([ADDRESS]:PORT for IPv6), or \"none\".",
            valueName: "address"))
    var statusAddress: String = "127.0.0.1:9464"

    /// `--status-address` as host and port; nil for "none".
    static func parseStatusAddress(_ text: String) throws -> (host: String, port: Int)? {
        if text == "none" { return nil }
        let host: Substring
        let port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw ValidationError("--status-address \(text): expected [ADDRESS]:PORT")
            }
            port = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw ValidationError("--status-address \(text): expected HOST:PORT, [ADDRESS]:PORT or none")
            }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let number = Int(port), (0...65535).contains(number) else {
            throw ValidationError("--status-address \(text): expected HOST:PORT with a port from 0 to 65535, or none")
        }
        return (String(host), number)
    }

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let status = try Self.parseStatusAddress(statusAddress)
        let logger = Logger(label: "herald")
        var env = try Environment.resolve(options: options)
        // Right after the reading, so that a change during the start (plugins loading, the first API calls) is
        // still followed.
        let identities = env.configPath.map {
            FileIdentities.read(path: $0, pluginsDirectory: role.speaks ? env.pluginsDirectory : nil)
        }
        if !role.speaks {
            // The allocator loads no plugin: its advertisements are not checked against a plugins.d it never reads.
            env.pluginEntries = []
            env.pluginsDirectory = nil
            env.checksAdvertisements = false
        }
        let config = role.configuration(try env.validConfig())
        let metallb = (metallbNamespace ?? config.metallb?.namespace).map {
            RuntimeOptions.MetalLB(namespace: $0, passwordDirectory: metallbPasswordDirectory)
        }
        if metallb != nil, let key = ["pools", "advertisements"].first(where: { config.keyLocations[$0] != nil }) {
            printError(
                "\(config.keyLocations[key]!): error: \(key) cannot be written in herald.yaml with --metallb-namespace: "
                    + "they come from MetalLB's objects\n  hint: remove \(key) from herald.yaml (herald convert shows "
                    + "what MetalLB's objects become), or run without --metallb-namespace")
            throw ExitCode(2)
        }
        for warning in config.warnings { logger.warning("\(warning)") }
        let mode = try source.mode(env)
        if role != .all {
            guard case .kubernetes = mode else {
                throw ValidationError("--role \(role.rawValue) needs a cluster (Kubernetes mode)")
            }
        }
        let plugins = role.speaks ? env.pluginsDirectory ?? Defaults.pluginsName : "none (allocator role)"
        logger.info("configuration: \(env.configName); plugins: \(plugins)")

        var runtime = RuntimeOptions(
            mode: mode, config: config, configPath: env.configPath, pluginEntries: env.pluginEntries,
            pluginsDirectory: env.pluginsDirectory, loader: env.loader, nodeName: nodeName,
            namespace: namespace ?? SourceOptions.podNamespace() ?? "herald-system", statusAddress: status,
            version: Herald.version)
        runtime.role = role
        runtime.onStop = onStop
        // One registry for the process: Herald's metrics and whatever a library reports through swift-metrics.
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: runtime.metrics.registry))
        runtime.metallb = metallb
        runtime.watchConfig = watchConfig
        runtime.configIdentities = identities
        runtime.leaderElection.leaseDuration = .seconds(leaderElectLeaseDuration)
        runtime.leaderElection.renewDeadline = .seconds(leaderElectRenewDeadline)
        runtime.leaderElection.retryPeriod = .seconds(leaderElectRetryPeriod)
        guard membershipLeaseDuration > membershipRenewInterval else {
            throw ValidationError("--membership-lease-duration must be longer than --membership-renew-interval")
        }
        runtime.membership.renewInterval = .seconds(membershipRenewInterval)
        runtime.membership.leaseDuration = .seconds(membershipLeaseDuration)
        try await HeraldRuntime.run(runtime, logger: logger)
    }
}

/// Where Services come from: a cluster, a manifest directory, or nowhere (static VIPs only).
struct SourceOptions: ParsableArguments {
    @Option(name: .long, help: "A kubeconfig file: run against that cluster (default: KUBECONFIG, else in-cluster).")
    var kubeconfig: String?

    @Option(
        name: .long, help: "A directory of Kubernetes YAML manifests (Services, Namespaces, Nodes, EndpointSlices).")
    var manifests: String?

    /// The mode these options and the environment choose.
    func mode(_ env: Environment) throws -> RuntimeOptions.Mode {
        let environment = ProcessInfo.processInfo.environment
        if let manifests {
            if kubeconfig != nil { throw ValidationError("--manifests and --kubeconfig exclude each other") }
            return .manifests(directory: manifests)
        }
        if let kubeconfig { return .kubernetes(try KubeConfigLoader.load(paths: [kubeconfig])) }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            return .kubernetes(try KubeConfigLoader.load(paths: list.split(separator: ":").map(String.init)))
        }
        if environment["KUBERNETES_SERVICE_HOST"] != nil,
            FileManager.default.fileExists(atPath: InClusterConfig.serviceAccountDirectory + "/token")
        {
            return .kubernetes(try InClusterConfig.load(environment: environment))
        }
        if env.configPath == nil { return .manifests(directory: try Defaults.manifestsDirectory()) }
        return .standalone
    }

    /// The namespace of the pod Herald runs in, if it runs in one.
    static func podNamespace() -> String? {
        guard let data = FileManager.default.contents(atPath: InClusterConfig.serviceAccountDirectory + "/namespace")
        else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}

func printError(_ text: String) {
    var stderr = StandardError()
    print(text, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

extension RuntimeOptions.Role: ExpressibleByArgument {}
extension RuntimeOptions.StopMode: ExpressibleByArgument {}
