import ArgumentParser
import HeraldConfig
import HeraldPluginHost
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
        case .success(let c):
            config = c
            // Warnings leave the file valid: printed, never counted as problems.
            for warning in c.warnings { printError(warning.description) }
        case .failure(let errors): problems += errors.diagnostics.map(\.description)
        }
        // Plugins are created and configured (not started) so that their own config errors show up too.
        var quiet = Logger(label: "herald.check")
        quiet.logLevel = .error
        let node = config.map { Environment.node($0, nameOverride: nil) } ?? HostNodeInfo(name: Environment.hostname())
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
