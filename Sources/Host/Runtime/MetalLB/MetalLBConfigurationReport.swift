import Foundation
import HeraldKube
import HeraldKubeModels
import Logging
import Synchronization

/// MetalLB mode: this process's verdict on MetalLB's objects, where MetalLB's users look for it.
/// - A `ConfigurationState` of its own in MetalLB's namespace (`herald-NODE`, labelled `metallb.io/component-type`
///   and `metallb.io/node-name` as MetalLB's): `result` Valid or Invalid and the `errorSummary`, written when the
///   verdict changes. Where that CRD is not installed (MetalLB before 0.15), nothing is written after the first 404.
/// - One Warning Event `InvalidConfiguration` per invalid object for the whole cluster, not one per process: only
///   the leading allocator writes them; one that starts leading while the objects are invalid writes them then.
package final class MetalLBConfigurationReport: Sendable {
    let client: KubeClient
    let namespace: String
    let node: String
    /// `controller` for the allocator role, `speaker` otherwise (MetalLB's component types).
    let component: String
    let recorder: EventRecorder?
    /// Events are written only while this host leads (nil: always, the process is the only writer).
    let elector: LeaderElector?
    let logger: Logger

    struct State {
        /// The verdict last written to the ConfigurationState (nil: none yet).
        var written: MetalLBConfigurationStatus?
        /// Whether the ConfigurationState CRD is absent.
        var absent = false
        /// The problems of the invalid objects now (per object, in order), and whether their Events are written.
        var problems: [(ObjectReference, [String])] = []
        var posted = true
    }

    let state = Mutex(State())

    package init(
        client: KubeClient, namespace: String, node: String, component: String, recorder: EventRecorder?,
        elector: LeaderElector?, logger: Logger
    ) {
        self.client = client
        self.namespace = namespace
        self.node = node
        self.component = component
        self.recorder = recorder
        self.elector = elector
        self.logger = logger
    }

    /// The verdict of a pass: valid (no problems), or the problems of each invalid object. `changed`: whether the
    /// problems differ from the last pass's (Events are written for a change only).
    func report(_ problems: [(ObjectReference, [String])], changed: Bool) async {
        let summary = problems.flatMap(\.1).joined(separator: "; ")
        await writeState(
            MetalLBConfigurationStatus(
                result: problems.isEmpty ? "Valid" : "Invalid", errorSummary: String(summary.prefix(4000))))
        guard changed else { return }
        state.withLock {
            $0.problems = problems
            $0.posted = problems.isEmpty
        }
        await postEvents()
    }

    /// Writes the Events of the current problems if this host leads and they are not written yet.
    func postEvents() async {
        guard let recorder, elector?.isLeader ?? true else { return }
        let pending: [(ObjectReference, [String])]? = state.withLock { s in
            guard !s.posted else { return nil }
            s.posted = true
            return s.problems
        }
        for (reference, messages) in pending ?? [] {
            var message = "invalid, Herald keeps the last valid configuration: " + messages.joined(separator: "; ")
            if message.count > 1000 { message = String(message.prefix(999)) + "…" }
            _ = await recorder.record(reference, type: .warning, reason: "InvalidConfiguration", message: message)
        }
    }

    /// Writes the Events left for a leader, each time this host starts leading.
    func followLeadership() async {
        guard let elector else { return }
        for await leading in elector.leadership() where leading { await postEvents() }
    }

    func writeState(_ status: MetalLBConfigurationStatus) async {
        let (skip, exists) = state.withLock { ($0.absent || $0.written == status, $0.written != nil) }
        guard !skip else { return }
        let object = MetalLBConfigurationState(
            metadata: ObjectMeta(
                name: "herald-\(node)", namespace: namespace,
                labels: [MetalLBLabels.componentType: component, MetalLBLabels.nodeName: node]),
            status: status)
        do {
            try await object.put(client: client, exists: exists)
            state.withLock { $0.written = status }
        } catch let error as KubeError where error.isNotFound && exists {
            // Deleted since: created again on the next pass.
            state.withLock { $0.written = nil }
        } catch let error as KubeError where error.isNotFound {
            state.withLock { $0.absent = true }
            logger.info(
                "MetalLB: no ConfigurationState CRD in this cluster; the verdict is logged and reported by Events")
        } catch {
            logger.warning("MetalLB: cannot write ConfigurationState \(namespace)/herald-\(node): \(error)")
        }
    }
}
