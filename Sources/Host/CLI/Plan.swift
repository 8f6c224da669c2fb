import ArgumentParser
import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldCore
import HeraldPlanner
import HeraldPluginHost
import HeraldRuntime

/// `herald plan`: what `herald run` would assign and announce, with no side effect.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print what would be assigned and announced, changing nothing.",
        discussion: """
            Reads herald.yaml, plugins.d (libraries are opened to learn each plugin's kind; no instance is created) \
            and, with --manifests (or on the embedded demo), the manifest directory and its status file, then prints \
            each Service's addresses and each announcement this node would make.
            """)

    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "A directory of Kubernetes YAML manifests.")
    var manifests: String?

    @Option(name: .long, help: "The node to plan for (default: as herald run chooses).")
    var node: String?

    @Option(name: [.short, .customLong("output")], help: "text or json.")
    var output: String = "text"

    struct Output: Encodable {
        struct Assignment: Encodable {
            var service: String
            var addresses: [String]
            var pool: String?
            var error: String?
        }
        struct Announced: Encodable {
            var instance: String
            var id: String
            var prefix: String
            var services: [String]
            var advertisement: String
        }
        var node: String
        var services: [Assignment]
        var announcements: [Announced]
    }

    func run() throws {
        guard output == "text" || output == "json" else { throw ValidationError("--output must be text or json") }
        let env = try Environment.resolve(options: options)
        let config = try env.validConfig()
        let nodeInfo = NodeIdentity.resolve(
            config, nameOverride: node, environment: ProcessInfo.processInfo.environment)

        var addresses = config.staticAddresses
        var services: [Output.Assignment] = []
        var nodes: [NodeState] = []
        let directory = try manifests ?? (env.configPath == nil ? Defaults.manifestsDirectory() : nil)
        if let directory {
            var reader = ManifestDirectory(path: directory)
            let objects = reader.read { printError("\($0)") }
            let (state, _) = try ManifestModel.restoring(
                objects, recorded: StatusFile.read(directory: directory), config: config)
            addresses += ManifestModel.addresses(state, manifests: objects)
            nodes = ManifestModel.nodes(objects)
            services = StatusFile(state).services.map {
                Output.Assignment(service: $0.service, addresses: $0.addresses, pool: $0.pool, error: $0.error)
            }
        }

        var instances: [AnnouncementPlanner.Instance] = []
        for entry in env.pluginEntries {
            guard case .success(let spec) = entry.spec, spec.enabled else { continue }
            do {
                let path = try env.loader.resolve(spec.library, baseDirectory: env.pluginsDirectory)
                let library = try env.loader.load(path: path)
                instances.append(.init(name: spec.name, exclusive: library.info.kind == .exclusive))
            } catch {
                printError("\(entry.file): instance \"\(spec.name)\": \(error)")
            }
        }
        nodes = AnnouncementPlanner.nodes(nodes, including: nodeInfo)
        let plan = AnnouncementPlanner.plan(
            addresses, advertisements: config.advertisements, node: nodeInfo.name, nodes: nodes, instances: instances)
        let announced = plan.keys.sorted().flatMap { instance in
            (plan[instance] ?? [:]).values.sorted { $0.id < $1.id }.map {
                Output.Announced(
                    instance: instance, id: $0.id, prefix: "\($0.address)/\($0.prefixLength)",
                    services: $0.services.map(\.description),
                    advertisement: $0.advertisement)
            }
        }
        let result = Output(node: nodeInfo.name, services: services, announcements: announced)
        if output == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        if directory != nil {
            print(
                StatusFile(
                    services: services.map {
                        .init(service: $0.service, addresses: $0.addresses, pool: $0.pool, error: $0.error)
                    }
                ).table)
        }
        print("node \(nodeInfo.name) announces:")
        for a in announced {
            print(
                "  \(a.instance): \(a.prefix) for \(a.services.joined(separator: ",")) (advertisement \(a.advertisement))"
            )
        }
        if announced.isEmpty { print("  nothing") }
    }
}
