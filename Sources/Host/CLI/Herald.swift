import ArgumentParser
import HeraldPluginHost

@main
struct Herald: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "herald",
        abstract: "A load balancer for bare-metal Kubernetes with announcement plugins.",
        discussion: """
            Without --config, Herald reads /etc/herald/herald.yaml, or runs its embedded default: a static-VIP demo \
            announced through the log plugin, which needs no cluster and sends nothing to the network.
            """,
        subcommands: [
            Run.self, Check.self, Plan.self, Status.self, Plugins.self, Conformance.self, Convert.self, Version.self,
            MeasureCalls.self, PluginRunnerCommand.self,
        ],
        defaultSubcommand: Run.self
    )
}

/// Options every command that reads configuration shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "The herald.yaml to use (default: /etc/herald/herald.yaml, else the embedded demo).")
    var config: String?

    @Option(name: .long, help: "The plugins.d folder (default: ./plugins.d, else /etc/herald/plugins.d).")
    var pluginsDir: String?

    @Option(
        name: .long,
        help: "A folder to search for plugin libraries before the executable's folder (repeatable).")
    var pluginPath: [String] = []
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version and the plugin ABI version.")

    func run() {
        print("herald \(Herald.version) (plugin ABI \(PluginLibrary.abiVersion))")
    }
}
