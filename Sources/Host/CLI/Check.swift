import ArgumentParser
import Foundation
import HeraldConfig
import HeraldPluginHost
import HeraldRuntime
import Logging

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate herald.yaml and plugins.d, load every enabled plugin and hand it its config.",
        discussion: "Exits 0 when everything is usable; otherwise prints every problem (file:line:column) and exits 1.")

    @OptionGroup var options: CommonOptions

    func run() throws {
        let env = try Environment.resolve(options: options)
        var problems: [String] = []
        var config: HeraldConfiguration?
        switch env.parseConfig() {
        case .success(let c): config = c
        case .failure(let errors): problems += errors.diagnostics.map(\.description)
        }
        // Plugins are created and configured (not started) so that their own config errors show up too.
        var quiet = Logger(label: "herald.check")
        quiet.logLevel = .error
        let node = NodeIdentity.resolve(
            config ?? HeraldConfiguration(), nameOverride: nil, environment: ProcessInfo.processInfo.environment)
        let plugins = PluginSet.make(
            entries: env.pluginEntries, directory: env.pluginsDirectory, loader: env.loader, node: node, logger: quiet)
        problems += plugins.problems.map(\.description)
        for instance in plugins.instances {
            print(
                "ok: plugin instance \"\(instance.name)\": \(instance.info.id) \(instance.info.version) (\(instance.library.path))"
            )
        }
        plugins.shutdown()
        if let config, problems.isEmpty {
            print(
                "ok: \(env.configName): \(config.pools.count) pools, \(config.advertisements.count) advertisements, "
                    + "\(config.staticVIPs.count) static VIPs")
        }
        guard problems.isEmpty else {
            for problem in problems { printError(problem) }
            printError("\(problems.count) problem\(problems.count == 1 ? "" : "s") found")
            throw ExitCode(1)
        }
    }
}
