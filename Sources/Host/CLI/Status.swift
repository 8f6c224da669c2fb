import ArgumentParser
import Foundation
import HeraldAllocation
import HeraldConfig
import HeraldConfigModel
import HeraldCore
import HeraldIPAM
import HeraldKube
import HeraldKubeModels
import HeraldPlanner
import HeraldRuntime

/// `herald status`: what each Service holds, and on a cluster which node announces it.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the addresses each Service holds (or why it holds none), and on a cluster who announces them.",
        discussion: """
            With --manifests (or on the embedded demo): the status file of the manifest directory. With --kubeconfig \
            (or KUBECONFIG): every LoadBalancer Service Herald serves, its addresses, its pool (from the pool \
            annotation Herald writes, else from herald.yaml's ranges, marked "(config)") and who announces it, best \
            source first; SOURCE says which: status-object (MetalLB mode's ServiceL2Status/ServiceBGPStatus), event \
            (the latest NodeAssigned Event naming a current address; "(lease expired)" when that node's membership \
            lease has), computed (from herald.yaml and plugins.d as every host computes it: live membership leases, \
            Node labels, EndpointSlices). herald.yaml and plugins.d are the local ones when a herald.yaml is at hand \
            (--config, /etc/herald/herald.yaml), else Herald's ConfigMaps herald-config and herald-plugins in \
            --namespace (also with --from-cluster). A configuration that cannot be used is reported with every \
            problem (file:line:column: error: …); the rest is still printed, and the status is 2.
            """)

    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "The manifest directory (default: the embedded demo's).")
    var manifests: String?

    @Option(name: .long, help: "A kubeconfig file: show the cluster (default: KUBECONFIG when set).")
    var kubeconfig: String?

    @Option(name: .long, help: "Herald's namespace: its membership leases and its ConfigMaps.")
    var namespace: String = "herald-system"

    @Flag(
        name: .long,
        help: "Read herald.yaml and plugins.d from Herald's ConfigMaps even when a local herald.yaml is at hand.")
    var fromCluster = false

    func run() async throws {
        let list = ProcessInfo.processInfo.environment["KUBECONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        if manifests == nil, let paths = kubeconfig.map({ [$0] }) ?? list?.split(separator: ":").map(String.init) {
            try await cluster(paths)
            return
        }
        let directory = try manifests ?? Defaults.manifestsDirectory()
        guard FileManager.default.fileExists(atPath: directory + "/" + StatusFile.name) else {
            printError("\(directory): no \(StatusFile.name) yet: herald run --manifests \(directory) writes it")
            throw ExitCode(1)
        }
        print(StatusFile.read(directory: directory).table, terminator: "")
    }

    /// The cluster's view: Services, their addresses and pool, and who announces them, with where that came from.
    func cluster(_ paths: [String]) async throws {
        let client = try KubeClient(configuration: KubeConfigLoader.load(paths: paths), logger: .init(label: "status"))
        defer { Task { try? await client.shutdown() } }
        var configuration: StatusConfiguration?
        if !fromCluster && StatusConfiguration.hasLocal(options) {
            configuration = StatusConfiguration.local(options)
        } else {
            let (read, note) = await StatusConfiguration.cluster(client, namespace: namespace)
            configuration = read
            if let note { printError(note) }
        }
        // A configuration that cannot be used: every problem, then the status the cluster alone gives.
        let problems = configuration?.problems ?? []
        for problem in problems { printError(problem) }
        if !problems.isEmpty {
            let count = "\(problems.count) problem\(problems.count == 1 ? "" : "s")"
            printError(
                "\(count) in the configuration (\(configuration?.origin ?? "herald.yaml")): pools and announcers below "
                    + "are the cluster's records only, none computed from it")
        }
        let config = problems.isEmpty ? configuration?.config : nil
        let kinds = config != nil ? configuration?.kinds() ?? [:] : [:]

        let services = try await client.listAll(HeraldKubeModels.Service.self).items
        let records = await StatusRecords.read(client, namespace: namespace)
        for note in records.notes { printError(note) }
        var nodes: [Node] = []
        var slices: [EndpointSlice] = []
        if config != nil {
            nodes = try await client.listAll(Node.self).items
            slices = (try? await client.listAll(EndpointSlice.self).items) ?? []
        }
        let states = nodes.map { node in
            let name = node.metadata.name ?? ""
            return NodeState(
                name: name, labels: node.metadata.labels ?? [:], live: records.members[name]?.live ?? false,
                networkUnavailable: node.networkUnavailable)
        }
        var rows = [["SERVICE", "ADDRESSES", "POOL", "ANNOUNCED BY", "SOURCE"]]
        for service in services.sorted(by: { ServiceID($0) < ServiceID($1) }) where served(service, config: config) {
            let id = ServiceID(service)
            let addresses = ServiceTranslation.statusAddresses(of: service) ?? []
            let configured = addresses.first.flatMap { config?.pool(containing: $0) }
            let annotated = ServiceTranslation.allocatedPool(of: service)
            let pool = annotated ?? configured.map { "\($0.name) (config)" } ?? "-"

            // Computed as every host computes it: live membership leases, Node labels, EndpointSlices.
            var computed: [(instance: String, exclusive: Bool, text: String)] = []
            if let config, let poolName = annotated ?? configured?.name, !addresses.isEmpty {
                let policy = ServiceTranslation.trafficPolicy(service, slices: slices)
                for ad in config.advertisements where ad.covers(pool: poolName) {
                    guard let isExclusive = kinds[ad.plugin] else {
                        computed.append((ad.plugin, false, "\(ad.plugin): unknown kind"))
                        continue
                    }
                    let eligible = Eligibility.eligible(
                        states, instance: ad.plugin, nodeSelectors: ad.nodeSelectors, policy: policy,
                        requireLive: isExclusive)
                    let who =
                        isExclusive
                        ? (L2Ownership.owner(of: addresses, among: eligible) ?? "nobody")
                        : (eligible.isEmpty ? "nobody" : "every eligible node (\(eligible.count))")
                    computed.append((ad.plugin, isExclusive, "\(ad.plugin): \(who)"))
                }
            }

            // Best source first: MetalLB's status objects, the NodeAssigned Events (with what is computed for the
            // instances they do not answer: routed ones never record one), else what is computed.
            var announcers: [String] = []
            var source = "-"
            if let recorded = records.fromStatusObjects(id) {
                announcers = recorded
                source = "status-object"
            } else if let recorded = records.fromEvents(id, addresses: addresses) {
                announcers = recorded.parts
                source = "event"
                let rest = computed.filter { !$0.exclusive && !recorded.instances.contains($0.instance) }
                if !rest.isEmpty {
                    announcers += rest.map(\.text)
                    source = "event+computed"
                }
            } else if !computed.isEmpty {
                announcers = computed.map(\.text)
                source = "computed"
            }
            rows.append([
                id.description, addresses.isEmpty ? "<pending>" : addresses.map(\.description).joined(separator: ","),
                pool, announcers.isEmpty ? "-" : announcers.joined(separator: "; "), source,
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(
                row.enumerated().map { column, text in
                    column == row.count - 1 ? text : text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                }.joined(separator: "  "))
        }
        if !problems.isEmpty { throw ExitCode(2) }
    }

    /// Whether Herald serves `service`: by the configuration's `loadBalancerClass`; with none at hand, a Service of
    /// no class, or one that shows a pool Herald (or MetalLB) assigned it from.
    func served(_ service: HeraldKubeModels.Service, config: HeraldConfiguration?) -> Bool {
        if let config { return ServiceTranslation.isServed(service, loadBalancerClass: config.loadBalancerClass) }
        return ServiceTranslation.isServed(service, loadBalancerClass: nil)
            || (service.spec?.type == "LoadBalancer" && ServiceTranslation.allocatedPool(of: service) != nil)
    }
}
