import ArgumentParser
import HeraldConfig
import HeraldConfigModel
import HeraldPluginHost
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Where the configuration and plugins come from, as chosen by the command line and what is installed.
struct Environment {
    var configPath: String?
    var configText: String
    var configName: String
    var pluginsDirectory: String?
    var pluginEntries: [PluginDirectory.Entry]
    var loader: PluginLoader
    /// Advertisements must name a plugins.d instance (false for the allocator role, which reads no plugins.d).
    var checksAdvertisements = true

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Chooses config and plugins: explicit options first, then installed files, then the embedded default.
    static func resolve(options: CommonOptions) throws -> Environment {
        var configPath = options.config
        if configPath == nil { configPath = Defaults.configPaths.first(where: exists) }
        let configText: String
        let configName: String
        if let configPath {
            switch PluginDirectory.readText(configPath) {
            case .success(let text): configText = text
            case .failure(let diagnostic): throw ConfigErrors([diagnostic])
            }
            configName = configPath
        } else {
            configText = Defaults.config
            configName = Defaults.configName
        }

        var directory = options.pluginsDir
        if directory == nil {
            let chosen = Defaults.pluginsDirectory()
            directory = chosen.path
            if let warning = chosen.warning { printError(warning) }
        }
        let entries: [PluginDirectory.Entry]
        if let directory {
            entries = try PluginDirectory.read(directory)
        } else {
            entries = [
                .init(
                    file: Defaults.pluginsName,
                    spec: PluginInstanceSpec.parse(Defaults.logPlugin, file: Defaults.pluginsName))
            ]
        }
        return Environment(
            configPath: configPath, configText: configText, configName: configName, pluginsDirectory: directory,
            pluginEntries: entries,
            loader: PluginLoader(searchPath: PluginLoader.defaultSearchPath(extra: options.pluginPath)))
    }

    func parseConfig() -> Result<HeraldConfiguration, ConfigErrors> {
        ConfigParser.parse(
            configText, file: configName, plugins: checksAdvertisements ? PluginDirectory.index(pluginEntries) : nil)
    }

    /// The configuration; an invalid one prints every problem (file:line:column) and exits with status 2.
    func validConfig() throws -> HeraldConfiguration {
        switch parseConfig() {
        case .success(let config): return config
        case .failure(let errors):
            printError(errors.description)
            throw ExitCode(2)
        }
    }
}
