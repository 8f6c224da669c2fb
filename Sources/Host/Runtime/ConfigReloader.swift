import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldPluginHost
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Reloads herald.yaml and plugins.d on SIGHUP and, when watching, when either changes on disk. Both are read and
/// validated off the signal path, on a detached task, so that a slow or hostile file never delays SIGTERM: a stop
/// abandons the reload in progress. herald.yaml is checked against the plugins.d just read; only a valid pair is
/// handed on (to the reconcile loop, which applies the plugins first and then the configuration), and an invalid one
/// is reported with every problem while the running one is kept. Reloads run one at a time, in the order asked.
package final class ConfigReloader: ServiceLifecycle.Service, Sendable {
    /// A validated reload: the configuration, and the plugins.d entries when there is a plugins.d folder.
    package typealias Apply = @Sendable (HeraldConfiguration, [PluginDirectory.Entry]?) -> Void
    /// Told of a rejected reload, with every problem found (each `file:line:column: error: …`).
    package typealias Report = @Sendable ([String]) async -> Void

    /// Following the files without a signal: how often their identity is read, and how long it must stay unchanged
    /// before a reload (a kubelet's swap of a ConfigMap's `..data` link, an editor writing in steps).
    package struct Watch: Sendable {
        package var interval: Duration
        package var settle: Duration

        package init(interval: Duration = .milliseconds(500), settle: Duration = .milliseconds(300)) {
            self.interval = interval
            self.settle = settle
        }
    }

    let path: String
    let pluginsDirectory: String?
    let apply: Apply
    let report: Report?
    let watch: Watch?
    /// The files' identities when the running configuration was read; a change since then is a change.
    let baseline: FileIdentities?
    let logger: Logger
    let counters = Mutex((applied: 0, rejected: 0))
    /// A report still being written: a new one is dropped meanwhile, so that a stalled API server never holds
    /// the reloads nor piles reports up.
    let reporting = Atomic<Bool>(false)
    let following = Atomic<Bool>(false)

    package init(
        path: String, pluginsDirectory: String?, watch: Watch? = nil, baseline: FileIdentities? = nil, logger: Logger,
        report: Report? = nil, apply: @escaping Apply
    ) {
        self.baseline = baseline
        self.path = path
        self.pluginsDirectory = pluginsDirectory
        self.watch = watch
        self.apply = apply
        self.report = report
        self.logger = logger
    }

    /// Whether the files are being followed (their first identities read): changes from now on reload them.
    package var isFollowing: Bool { following.load(ordering: .acquiring) }

    /// Reloads applied and rejected so far.
    package var statistics: (applied: Int, rejected: Int) { counters.withLock { $0 } }

    package func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        // One request waiting is enough: a reload reads the files as they are when it starts.
        let (requests, request) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in hangups { request.yield() }
            }
            if let watch {
                let (path, directory, logger, baseline) = (self.path, pluginsDirectory, self.logger, self.baseline)
                group.addTask {
                    await Self.follow(
                        path: path, pluginsDirectory: directory, watch: watch, baseline: baseline, logger: logger,
                        started: { self.following.store(true, ordering: .releasing) },
                        changed: { request.yield() })
                }
            }
            for await _ in requests.cancelOnGracefulShutdown() {
                // A stop cancels the reload in progress, so that it is not waited for.
                let reloading = Task { await self.reload() }
                await withGracefulShutdownHandler {
                    await reloading.value
                } onGracefulShutdown: {
                    reloading.cancel()
                }
            }
            group.cancelAll()
        }
    }

    /// Reads, validates and (when valid) hands on both inputs once.
    package func reload() async {
        let path = self.path
        let directory = pluginsDirectory
        let logger = self.logger
        let parse = Task.detached { () -> Result<(HeraldConfiguration, [PluginDirectory.Entry]?), Rejected> in
            var entries: [PluginDirectory.Entry]?
            if let directory {
                do {
                    entries = try PluginDirectory.read(directory)
                } catch {
                    logger.error("\(error)")
                    return .failure(Rejected(problems: ["\(error)"]))
                }
            }
            switch PluginDirectory.readText(path) {
            case .failure(let diagnostic):
                logger.error("\(diagnostic)")
                return .failure(Rejected(problems: [diagnostic.description]))
            case .success(let text):
                switch ConfigParser.parse(text, file: path, plugins: entries.map(PluginDirectory.index)) {
                case .success(let config):
                    for warning in config.warnings { logger.warning("\(warning)") }
                    return .success((config, entries))
                case .failure(let errors):
                    for diagnostic in errors.diagnostics { logger.error("\(diagnostic)") }
                    return .failure(Rejected(problems: errors.diagnostics.map(\.description)))
                }
            }
        }
        // Waiting ends at once on cancellation (a stop); the detached parse is left to finish on its own.
        guard let parsed = await Abandonable.value(of: parse) else {
            logger.notice("reload abandoned: stopping")
            return
        }
        switch parsed {
        case .success(let (config, entries)):
            apply(config, entries)
            counters.withLock { $0.applied += 1 }
            logger.info("configuration reloaded", metadata: ["file": .string(path)])
        case .failure(let rejected):
            counters.withLock { $0.rejected += 1 }
            logger.error("reload rejected: keeping the last good configuration", metadata: ["file": .string(path)])
            send(rejected.problems)
        }
    }

    struct Rejected: Error {
        var problems: [String]
    }

    /// Hands `problems` to the report, unless the last report is still being written.
    private func send(_ problems: [String]) {
        guard let report else { return }
        guard reporting.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            logger.debug("reload failure not reported: the previous report is still being written")
            return
        }
        Task {
            await report(problems)
            self.reporting.store(false, ordering: .releasing)
        }
    }

    /// Reads the identity of the files every `watch.interval` and calls `changed` once they differ from the last
    /// seen (at first `baseline`, when given: what they were when the running configuration was read) and have then
    /// stayed the same for `watch.settle`; returns when the task is cancelled.
    ///
    /// Polling, not inotify: a kubelet replaces a projected ConfigMap by swapping its `..data` link to a new folder
    /// (the files' names stay, their targets change), an editor renames a new file over the old one, and a hostPath
    /// or NFS folder may change behind the kernel's back; the identity of what each name resolves to (device, inode,
    /// size, modification and change times) catches all of them, and costs a few `stat` calls per interval. inotify
    /// would need a watch on every folder on the way, re-armed on each swap, and takes from a per-user instance limit
    /// (128 by default) that every root process of a node shares.
    static func follow(
        path: String, pluginsDirectory: String?, watch: Watch, baseline: FileIdentities?, logger: Logger,
        started: @Sendable () -> Void,
        changed: @Sendable () -> Void
    ) async {
        func snapshot() async -> FileIdentities? {
            await Abandonable.value(
                of: Task.detached { FileIdentities.read(path: path, pluginsDirectory: pluginsDirectory) })
        }
        var seen: FileIdentities
        if let baseline {
            seen = baseline
        } else {
            guard let first = await snapshot() else { return }
            seen = first
        }
        started()
        while !Task.isCancelled {
            do { try await Task.sleep(for: watch.interval) } catch { return }
            guard var now = await snapshot() else { return }
            guard now != seen else { continue }
            // Settled: unchanged for `settle`, or changing for ten times that (then read as it is).
            for _ in 0..<10 {
                do { try await Task.sleep(for: watch.settle) } catch { return }
                guard let next = await snapshot() else { return }
                if next == now { break }
                now = next
            }
            seen = now
            logger.info("configuration files changed: reloading", metadata: ["file": .string(path)])
            changed()
        }
    }
}

/// What herald.yaml and the plugins.d files resolve to (through every symbolic link), so that a change of any of
/// them, of the names in plugins.d, or of a file's owner or mode, makes a different value.
package struct FileIdentities: Equatable, Sendable {
    struct Identity: Equatable, Sendable {
        var name: String
        /// `errno` when the name cannot be resolved.
        var error: Int32 = 0
        var device: UInt64 = 0
        var inode: UInt64 = 0
        var size: Int64 = 0
        /// Modification and change times, nanoseconds.
        var modified: Int64 = 0
        var changed: Int64 = 0

        init(_ name: String) {
            self.name = name
            var st = stat()
            guard stat(name, &st) == 0 else {
                error = errno
                return
            }
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
            size = Int64(st.st_size)
            modified = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
            changed = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
        }
    }

    var identities: [Identity]

    package static func read(path: String, pluginsDirectory: String?) -> FileIdentities {
        var identities = [Identity(path)]
        if let directory = pluginsDirectory {
            identities.append(Identity(directory))
            // The files plugins.d reads (PluginDirectory: *.yaml and *.yml, not hidden), in order.
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names.sorted()
            where !name.hasPrefix(".") && (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) {
                identities.append(Identity(directory + "/" + name))
            }
        }
        return FileIdentities(identities: identities)
    }
}
