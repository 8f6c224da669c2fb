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
            (or KUBECONFIG): every LoadBalancer Service Herald serves, its addresses and pool, and for each layer-2 \
            advertisement the node that announces it, computed as every host computes it (live membership leases, \
            Node labels, EndpointSlices).
            """)

    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "The manifest directory (default: the embedded demo's).")
    var manifests: String?

    @Option(name: .long, help: "A kubeconfig file: show the cluster (default: KUBECONFIG when set).")
    var kubeconfig: String?

    @Option(name: .long, help: "Herald's namespace, where the membership leases are.")
    var namespace: String = "herald-system"

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

    /// The cluster's view: Services, their addresses, and the layer-2 owner of each.
    func cluster(_ paths: [String]) async throws {
        let env = try Environment.resolve(options: options)
        guard case .success(let config) = env.parseConfig() else {
            printError("\(env.configName): invalid; run herald check")
            throw ExitCode(2)
        }
        var exclusive: [String: Bool] = [:]
        for entry in env.pluginEntries {
            guard case .success(let spec) = entry.spec, spec.enabled,
                let path = try? env.loader.resolve(spec.library, baseDirectory: env.pluginsDirectory),
                let library = try? env.loader.load(path: path)
            else { continue }
            exclusive[spec.name] = library.info.kind == .exclusive
        }
        let client = try KubeClient(configuration: KubeConfigLoader.load(paths: paths), logger: .init(label: "status"))
        defer { Task { try? await client.shutdown() } }
        let services = try await client.listAll(HeraldKubeModels.Service.self).items
        let nodes = try await client.listAll(Node.self).items
        let slices = (try? await client.listAll(EndpointSlice.self).items) ?? []
        let leases = try await client.listAll(Lease.self, namespace: namespace, labelSelector: NodeMembership.label)
            .items
        let now = Date()
        let live = Set(
            leases.compactMap { lease -> String? in
                guard let spec = lease.spec, let node = spec.holderIdentity, let renewed = spec.renewTime?.date else {
                    return nil
                }
                return now.timeIntervalSince(renewed) < Double(spec.leaseDurationSeconds ?? 3) ? node : nil
            })
        let states = nodes.map { node in
            NodeState(
                name: node.metadata.name ?? "", labels: node.metadata.labels ?? [:],
                live: live.contains(node.metadata.name ?? ""), networkUnavailable: node.networkUnavailable)
        }
        var rows = [["SERVICE", "ADDRESSES", "POOL", "ANNOUNCED BY"]]
        for service in services.sorted(by: { ServiceID($0) < ServiceID($1) })
        where ServiceTranslation.isServed(service, loadBalancerClass: config.loadBalancerClass) {
            let addresses = ServiceTranslation.statusAddresses(of: service) ?? []
            let pool = config.pools.first { pool in
                addresses.first.map { a in pool.ranges.contains { $0.contains(a) } } ?? false
            }
            var owners: [String] = []
            if let pool, !addresses.isEmpty {
                let policy = ServiceTranslation.trafficPolicy(service, slices: slices)
                for ad in config.advertisements where ad.covers(pool: pool.name) {
                    guard let isExclusive = exclusive[ad.plugin] else { continue }
                    let eligible = Eligibility.eligible(
                        states, instance: ad.plugin, nodeSelectors: ad.nodeSelectors, policy: policy,
                        requireLive: isExclusive)
                    let who =
                        isExclusive
                        ? (L2Ownership.owner(of: addresses, among: eligible) ?? "nobody")
                        : (eligible.isEmpty ? "nobody" : "every eligible node (\(eligible.count))")
                    owners.append("\(ad.plugin): \(who)")
                }
            }
            rows.append([
                ServiceID(service).description,
                addresses.isEmpty ? "<pending>" : addresses.map(\.description).joined(separator: ","),
                pool?.name ?? "-", owners.isEmpty ? "-" : owners.joined(separator: "; "),
            ])
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(
                row.enumerated().map { column, text in
                    column == 3 ? text : text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                }.joined(separator: "  "))
        }
    }
}
