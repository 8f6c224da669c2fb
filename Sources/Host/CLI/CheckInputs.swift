import HeraldConfig
import HeraldConfigModel
import HeraldPluginHost

/// What `herald check` reads, chosen like `herald run` chooses it, but never stopping at the first unreadable input:
/// a config file or plugins.d folder that cannot be read is one more problem, and the rest is still checked.
struct CheckInputs {
    var configName: String
    /// Nil when the file could not be read (its problem is in `problems`).
    var configText: String?
    var pluginsDirectory: String?
    var entries: [PluginDirectory.Entry]
    var loader: PluginLoader
    /// The config file could not be read.
    var configProblems: [Diagnostic] = []
    /// The plugins.d folder could not be read.
    var pluginsProblems: [Diagnostic] = []

    init(options: CommonOptions) {
        let configPath = options.config ?? Defaults.configPaths.first(where: Environment.exists)
        if let configPath {
            configName = configPath
            switch PluginDirectory.readText(configPath) {
            case .success(let text): configText = text
            case .failure(let diagnostic): configProblems.append(diagnostic)
            }
        } else {
            configName = Defaults.configName
            configText = Defaults.config
        }
        if let given = options.pluginsDir {
            pluginsDirectory = given
        } else {
            let chosen = Defaults.pluginsDirectory()
            pluginsDirectory = chosen.path
            if let warning = chosen.warning { printError(warning) }
        }
        if let directory = pluginsDirectory {
            do {
                entries = try PluginDirectory.read(directory)
            } catch {
                entries = []
                pluginsProblems.append(
                    Diagnostic(
                        SourceLocation(file: directory, line: 1, column: 1),
                        "cannot read the plugins.d folder: \(PluginDirectory.reason(error))"))
            }
        } else {
            entries = [.init(file: Defaults.pluginsName, text: Defaults.logPlugin)]
        }
        loader = PluginLoader(searchPath: PluginLoader.defaultSearchPath(extra: options.pluginPath))
    }
}
