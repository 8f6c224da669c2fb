import ArgumentParser
import CHeraldPlugin
import HeraldConfig
import HeraldPluginHost
import HeraldRuntime
import HeraldStatus
import Logging
import ServiceLifecycle

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load the configuration and plugins, announce, and run until SIGTERM or SIGINT.",
        discussion: "SIGHUP reloads herald.yaml; an invalid file is reported and the running configuration kept.")

    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "This node's name (default: node.name from the configuration, else the hostname).")
    var nodeName: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where to serve /metrics, /healthz and /readyz: HOST:PORT ([ADDRESS]:PORT for IPv6), or \"none\".",
            valueName: "address"))
    var statusAddress: String = "127.0.0.1:9464"

    /// `--status-address` as host and port; nil for "none".
    static func parseStatusAddress(_ text: String) throws -> (host: String, port: Int)? {
        if text == "none" { return nil }
        let host: Substring
        let port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw ValidationError("--status-address \(text): expected [ADDRESS]:PORT")
            }
            port = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw ValidationError("--status-address \(text): expected HOST:PORT, [ADDRESS]:PORT or none")
            }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let number = Int(port), (0...65535).contains(number) else {
            throw ValidationError("--status-address \(text): expected HOST:PORT with a port from 0 to 65535, or none")
        }
        return (String(host), number)
    }

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let status = try Self.parseStatusAddress(statusAddress)
        let logger = Logger(label: "herald")
        let env = try Environment.resolve(options: options)
        let config: HeraldConfiguration
        switch env.parseConfig() {
        case .success(let c): config = c
        case .failure(let errors):
            printError(errors.description)
            throw ExitCode(2)
        }
        logger.info("configuration: \(env.configName); plugins: \(env.pluginsDirectory ?? Defaults.pluginsName)")

        let node = Environment.node(config, nameOverride: nodeName)
        let plugins = PluginSet.make(
            entries: env.pluginEntries, directory: env.pluginsDirectory, loader: env.loader, node: node,
            logger: logger)
        for problem in plugins.problems { logger.error("\(problem)") }

        let reload: (@Sendable () async -> HeraldConfiguration?)?
        if let path = env.configPath {
            let instances = env.enabledInstances
            reload = {
                switch PluginDirectory.readText(path) {
                case .failure(let diagnostic):
                    logger.error("\(diagnostic)")
                    return nil
                case .success(let text):
                    switch ConfigParser.parse(text, file: path, pluginInstances: instances) {
                    case .success(let config): return config
                    case .failure(let errors):
                        for diagnostic in errors.diagnostics { logger.error("\(diagnostic)") }
                        return nil
                    }
                }
            }
        } else {
            reload = nil
        }

        let host = HeraldHost(config: config, plugins: plugins, node: node, logger: logger, reload: reload)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: host)]
        if let status {
            let abi = "\(HERALD_ABI_MAJOR).\(HERALD_ABI_MINOR)"
            let server = StatusServer(host: status.host, port: status.port, logger: logger) {
                host.snapshot(version: Herald.version, abi: abi)
            }
            // The endpoints ending (a port already taken) must not stop the host.
            services.append(
                .init(service: server, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

func printError(_ text: String) {
    var stderr = StandardError()
    print(text, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
