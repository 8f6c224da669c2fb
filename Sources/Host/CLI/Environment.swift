import HeraldConfig
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
        if directory == nil { directory = Defaults.pluginDirectories.first(where: exists) }
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

    /// Instance names enabled in plugins.d (valid files only), for checking advertisements.
    var enabledInstances: Set<String> {
        Set(
            pluginEntries.compactMap { entry -> String? in
                guard case .success(let spec) = entry.spec, spec.enabled else { return nil }
                return spec.name
            })
    }

    func parseConfig() -> Result<HeraldConfiguration, ConfigErrors> {
        ConfigParser.parse(configText, file: configName, pluginInstances: enabledInstances)
    }

    /// This node's identity: the configuration's, then the command line's, then the machine's.
    static func node(_ config: HeraldConfiguration, nameOverride: String?) -> HostNodeInfo {
        let name = nameOverride ?? config.node.name ?? hostname()
        let addresses = config.node.addresses.isEmpty ? interfaceAddresses() : config.node.addresses
        return HostNodeInfo(name: name, labels: config.node.labels, addresses: addresses)
    }

    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
    }

    /// The machine's non-loopback addresses, IPv4 first.
    static func interfaceAddresses() -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var v4: [String] = []
        var v6: [String] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0 else {
                continue
            }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else {
                continue
            }
            let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("fe80") { continue }
            if family == AF_INET { v4.append(text) } else { v6.append(text) }
        }
        return v4 + v6
    }
}
