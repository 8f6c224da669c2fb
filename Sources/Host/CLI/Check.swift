import ArgumentParser
import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldPluginHost
import HeraldRuntime
import Logging

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate herald.yaml and plugins.d, load every enabled plugin and hand it its config.",
        discussion: """
            Exits 0 when everything is usable; otherwise prints every problem as file:line:column: error: … and \
            exits 1. An unreadable file or folder is one problem among the others, never the end of the check.
            """)

    @OptionGroup var options: CommonOptions

    func run() throws {
        let inputs = CheckInputs(options: options)
        var problems = inputs.configProblems.map(\.description)
        var config: HeraldConfiguration?
        if let text = inputs.configText {
            let index = PluginDirectory.index(inputs.entries)
            switch ConfigParser.parse(text, file: inputs.configName, plugins: index) {
            case .success(let c):
                config = c
                // Warnings leave the file valid: printed, never counted as problems.
                for warning in c.warnings { printError(warning.description) }
            case .failure(let errors): problems += errors.diagnostics.map(\.description)
            }
        }
        problems += inputs.pluginsProblems.map(\.description)
        // Plugins are created and configured (not started) so that their own config errors show up too.
        var quiet = Logger(label: "herald.check")
        quiet.logLevel = .error
        let node = NodeIdentity.resolve(
            config ?? HeraldConfiguration(), nameOverride: nil, environment: ProcessInfo.processInfo.environment)
        let plugins = PluginSet.make(
            entries: inputs.entries, directory: inputs.pluginsDirectory, loader: inputs.loader, node: node,
            logger: quiet)
        problems += plugins.problems.map(\.description)
        for instance in plugins.instances {
            print(
                "ok: plugin instance \"\(instance.name)\": \(instance.info.id) \(instance.info.version) (\(instance.library.path))"
            )
        }
        plugins.shutdown()
        if let config, problems.isEmpty {
            print(
                "ok: \(inputs.configName): \(config.pools.count) pools, \(config.advertisements.count) advertisements, "
                    + "\(config.staticVIPs.count) static VIPs")
        }
        guard problems.isEmpty else {
            for problem in problems { printError(problem) }
            printError("\(problems.count) problem\(problems.count == 1 ? "" : "s") found")
            throw ExitCode(1)
        }
    }
}
