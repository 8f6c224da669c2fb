import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldPluginHost
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Reloads herald.yaml and plugins.d on SIGHUP. Both are read and validated off the signal path, on a detached
/// task, so that a slow or hostile file never delays SIGTERM: a stop abandons the reload in progress. herald.yaml is
/// checked against the plugins.d just read; only a valid pair is handed on (to the reconcile loop, which applies the
/// plugins first and then the configuration), and an invalid one is reported with every problem while the running
/// one is kept.
package final class ConfigReloader: ServiceLifecycle.Service, Sendable {
    /// A validated reload: the configuration, and the plugins.d entries when there is a plugins.d folder.
    package typealias Apply = @Sendable (HeraldConfiguration, [PluginDirectory.Entry]?) -> Void

    let path: String
    let pluginsDirectory: String?
    let apply: Apply
    let logger: Logger
    let counters = Mutex((applied: 0, rejected: 0))

    package init(path: String, pluginsDirectory: String?, logger: Logger, apply: @escaping Apply) {
        self.path = path
        self.pluginsDirectory = pluginsDirectory
        self.apply = apply
        self.logger = logger
    }

    /// Reloads applied and rejected so far.
    package var statistics: (applied: Int, rejected: Int) { counters.withLock { $0 } }

    package func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            // A stop cancels the reload in progress, so that it is not waited for.
            let reloading = Task { await self.reload() }
            await withGracefulShutdownHandler {
                await reloading.value
            } onGracefulShutdown: {
                reloading.cancel()
            }
        }
    }

    /// Reads, validates and (when valid) hands on both inputs once.
    package func reload() async {
        let path = self.path
        let directory = pluginsDirectory
        let logger = self.logger
        let parse = Task.detached { () -> (HeraldConfiguration, [PluginDirectory.Entry]?)? in
            var entries: [PluginDirectory.Entry]?
            if let directory {
                do {
                    entries = try PluginDirectory.read(directory)
                } catch {
                    logger.error("\(error)")
                    return nil
                }
            }
            switch PluginDirectory.readText(path) {
            case .failure(let diagnostic):
                logger.error("\(diagnostic)")
                return nil
            case .success(let text):
                switch ConfigParser.parse(text, file: path, plugins: entries.map(PluginDirectory.index)) {
                case .success(let config):
                    for warning in config.warnings { logger.warning("\(warning)") }
                    return (config, entries)
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
        if let (config, entries) = parsed {
            apply(config, entries)
            counters.withLock { $0.applied += 1 }
            logger.info("configuration reloaded", metadata: ["file": .string(path)])
        } else {
            counters.withLock { $0.rejected += 1 }
            logger.error("reload rejected: keeping the last good configuration", metadata: ["file": .string(path)])
        }
    }
}
