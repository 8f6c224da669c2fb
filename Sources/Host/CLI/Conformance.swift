import ArgumentParser
import Foundation
import HeraldPluginHost
import Logging

struct Conformance: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a plugin library through the ABI conformance suite (for plugin authors).",
        discussion: """
            Loads LIBRARY as the host would (ownership, permissions, ABI version and struct sizes), then drives it \
            through every lifecycle call from several threads. Exits 1 if a required check fails; recommended checks \
            only warn.
            """)

    @Argument(help: "The plugin library: a path, or a name searched on the plugin path.")
    var library: String

    @Option(name: .long, help: "A configuration the plugin accepts, as a JSON object (default: {}).")
    var config: String = "{}"

    @Option(name: .long, help: "A folder to search for the library (repeatable).")
    var pluginPath: [String] = []

    @Option(
        name: .long,
        help: "inProcess (load the library here, the default) or process (in a plugin runner, as isolation: process).")
    var isolation: String = "inProcess"

    func validate() throws {
        let object = config.data(using: .utf8).flatMap { try? JSONSerialization.jsonObject(with: $0) }
        guard object is [String: Any] else {
            throw ValidationError(
                "--config must be a JSON object, like '{\"interfaces\": [\"eth0\"]}'; got: \(config)")
        }
        guard isolation == "inProcess" || isolation == "process" else {
            throw ValidationError("--isolation must be inProcess or process; got: \(isolation)")
        }
    }

    func run() throws {
        let loader = PluginLoader(searchPath: PluginLoader.defaultSearchPath(extra: pluginPath))
        let loaded: PluginLibrary
        do {
            let path = PluginLoader.canonical(try loader.resolve(library, baseDirectory: nil))
            if isolation == "process" {
                try PluginLoader.checkFile(path)
                loaded = try PluginRunnerLink.launch(
                    path: path, label: "conformance", logger: Logger(label: "herald.conformance"),
                    closeWithLastInstance: false)
            } else {
                loaded = try loader.load(path: path)
            }
        } catch {
            printError("FAIL load: \(error)")
            throw ExitCode(1)
        }
        print(
            "\(loaded.path): \(loaded.info.id) \(loaded.info.version), ABI \(loaded.info.abiMajor).\(loaded.info.abiMinor)"
        )
        let report = ConformanceSuite.run(library: loaded, configJSON: config)
        for check in report.checks { print(check) }
        let c = report.callbacks
        print(
            "host callbacks: \(c.logs) log lines, \(c.events) events, \(c.healthReports) health reports; "
                + "\(c.fromPluginThreads) from plugin threads")
        loaded.runner?.close()
        guard report.passed else { throw ExitCode(1) }
    }
}
