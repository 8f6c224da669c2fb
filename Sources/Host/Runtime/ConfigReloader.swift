import Foundation
import HeraldConfig
import HeraldPluginHost
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Reloads herald.yaml on SIGHUP. The file is read and validated off the signal path, on a detached task, so that a
/// slow or hostile file never delays SIGTERM: a stop abandons the reload in progress. Only a valid configuration is
/// applied; an invalid one is reported with every problem and the running one kept.
public final class ConfigReloader: ServiceLifecycle.Service, Sendable {
    let path: String
    let pluginInstances: Set<String>
    let store: ConfigStore
    let logger: Logger
    let counters = Mutex((applied: 0, rejected: 0))

    /// - Parameter pluginInstances: the enabled plugins.d instance names, for checking advertisements.
    public init(path: String, pluginInstances: Set<String>, store: ConfigStore, logger: Logger) {
        self.path = path
        self.pluginInstances = pluginInstances
        self.store = store
        self.logger = logger
    }

    /// Reloads applied and rejected so far.
    public var statistics: (applied: Int, rejected: Int) { counters.withLock { $0 } }

    public func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            await reload()
        }
    }

    /// Reads, validates and (when valid) applies the file once.
    public func reload() async {
        let path = self.path
        let instances = pluginInstances
        let logger = self.logger
        let parse = Task.detached { () -> HeraldConfiguration? in
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
        // Waiting ends at once on cancellation (a stop); the detached parse is left to finish on its own.
        guard let parsed = await Abandonable.value(of: parse) else {
            logger.notice("reload abandoned: stopping")
            return
        }
        if let config = parsed {
            store.apply(config)
            counters.withLock { $0.applied += 1 }
            logger.info("configuration reloaded", metadata: ["file": .string(path)])
        } else {
            counters.withLock { $0.rejected += 1 }
            logger.error("reload rejected: keeping the last good configuration", metadata: ["file": .string(path)])
        }
    }
}
