import Foundation
import HeraldAllocation
import HeraldConfig
import HeraldConfigModel
import HeraldCore
import HeraldIPAM
import HeraldPlanner
import Logging
import ServiceLifecycle
import Synchronization

/// Herald without a cluster: Services, Namespaces, Nodes and EndpointSlices from the YAML files of a directory,
/// watched for changes, given addresses by the same allocator as on a cluster. Assignments go where a user reads
/// them: the log, and `herald-status.json` in the directory (`herald status` prints it as a table).
///
/// A file that stops parsing is reported with its place and the objects it held before are kept, so a bad edit
/// loses nothing.
package final class ManifestSource: ServiceLifecycle.Service, AddressSource, NodeView, Sendable {
    let directory: String
    let config: ConfigStore
    let logger: Logger
    let pollInterval: Duration
    let published = Mutex<[ServiceAddress]>([])
    let publishedNodes = Mutex<[NodeState]>([])
    /// Wakes the reconcile loop after each published change (a subscriber that goes away is dropped).
    let changed = Broadcast<Void>()

    package init(directory: String, config: ConfigStore, logger: Logger, pollInterval: Duration = .milliseconds(250)) {
        self.directory = directory
        self.config = config
        self.logger = logger
        self.pollInterval = pollInterval
    }

    package var name: String { "manifests" }

    package func addresses() -> [ServiceAddress] { published.withLock { $0 } }

    /// The Nodes of the manifests, all alive (a manifest directory has no leases); empty when it lists none.
    package func nodes() -> [NodeState] { publishedNodes.withLock { $0 } }

    package func changes() -> AsyncStream<Void> { changed.subscribe(bufferingPolicy: .bufferingNewest(1)) }

    package func run() async throws {
        var reader = ManifestDirectory(path: directory)
        var manifests = reader.read(logger: logger)
        var pools = config.current.pools
        var state: AllocationState
        var effects: AllocationState.Effects
        do {
            (state, effects) = try ManifestModel.restoring(
                manifests, recorded: StatusFile.read(directory: directory), config: config.current)
        } catch {
            logger.error("manifests: the pools are invalid (\(error))")
            return
        }
        publish(state, manifests, effects)
        logger.info(
            "manifests: \(manifests.services.count) services from \(directory)",
            metadata: [
                "assigned": "\(state.allocator.assignments.count)", "pending": "\(state.allocator.pending.count)",
            ])

        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: pollInterval)
            var effects = AllocationState.Effects()
            if reader.changed() {
                let next = reader.read(logger: logger)
                effects.merge(ManifestModel.update(&state, from: manifests, to: next))
                manifests = next
            }
            let current = config.current.pools
            if current != pools {
                do {
                    effects.merge(try state.setPools(current))
                    pools = current
                } catch {
                    logger.error("manifests: new pools refused (\(error))")
                    pools = current
                }
            }
            if !effects.touched.isEmpty || !effects.events.isEmpty || !effects.cleared.isEmpty {
                publish(state, manifests, effects)
            }
        }
        changed.finish()
    }

    /// Logs the events, records the state in the status file, and hands the new addresses to the reconciler.
    private func publish(_ state: AllocationState, _ manifests: Manifests, _ effects: AllocationState.Effects) {
        for event in effects.events {
            if event.warning { logger.warning("\(event)") } else { logger.info("\(event)") }
        }
        do {
            try StatusFile(state).write(directory: directory)
        } catch {
            logger.error("manifests: cannot write \(directory)/\(StatusFile.name): \(error)")
        }
        published.withLock { $0 = ManifestModel.addresses(state, manifests: manifests) }
        publishedNodes.withLock { $0 = ManifestModel.nodes(manifests) }
        changed.yield(())
    }
}
