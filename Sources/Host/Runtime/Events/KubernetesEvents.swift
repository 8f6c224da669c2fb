import HeraldCore
import HeraldKube
import HeraldKubeModels
import Logging

/// Announcement events as Kubernetes Events: on the Services a node announces (`NodeAssigned`, and what plugins
/// report about an announcement), and on this node's Node object (plugin events about no announcement, data-plane
/// health), so that `kubectl describe svc` and `kubectl describe node` say why an address is or is not reachable.
package struct KubernetesEvents: AnnouncementEvents {
    let recorder: EventRecorder
    let node: String

    package init(recorder: EventRecorder, node: String) {
        self.recorder = recorder
        self.node = node
    }

    package func nodeAssigned(services: [ServiceID], address: String, node: String, instance: String) {
        for service in services {
            record(
                service: service, warning: false, reason: Self.nodeAssignedReason,
                message: Self.nodeAssignedMessage(address: address, node: node, instance: instance))
        }
    }

    /// The reason of the Event a node writes on a Service when it starts announcing one of its exclusive addresses.
    package static let nodeAssignedReason = "NodeAssigned"

    /// That Event's message: `ADDRESS is announced from node "NODE" through plugin instance "INSTANCE"`.
    package static func nodeAssignedMessage(address: String, node: String, instance: String) -> String {
        "\(address) is announced from node \"\(node)\" through plugin instance \"\(instance)\""
    }

    /// What a ``nodeAssignedMessage(address:node:instance:)`` says, or nil for another message.
    package static func nodeAssigned(in message: String) -> (address: String, node: String, instance: String)? {
        guard let split = message.range(of: " is announced from node \"") else { return nil }
        let rest = message[split.upperBound...]
        guard let middle = rest.range(of: "\" through plugin instance \""), rest.hasSuffix("\"") else { return nil }
        return (
            String(message[..<split.lowerBound]), String(rest[..<middle.lowerBound]),
            String(rest[middle.upperBound...].dropLast())
        )
    }

    package func pluginEvent(_ event: PluginEvent, services: [ServiceID]) {
        let message = "plugin instance \"\(event.instance)\": \(event.message)"
        if services.isEmpty {
            recordOnNode(warning: event.warning, reason: event.reason, message: message)
        }
        for service in services {
            record(service: service, warning: event.warning, reason: event.reason, message: message)
        }
    }

    package func health(instance: String, healthy: Bool, detail: String?) {
        recordOnNode(
            warning: !healthy, reason: healthy ? "DataPlaneHealthy" : "DataPlaneUnhealthy",
            message: "plugin instance \"\(instance)\" reports its data plane \(healthy ? "healthy" : "unhealthy")"
                + (detail.map { ": \($0)" } ?? "")
                + (healthy ? "" : "; this node announces nothing through it until it recovers"))
    }

    private func record(service: ServiceID, warning: Bool, reason: String, message: String) {
        let reference = ObjectReference(
            apiVersion: "v1", kind: "Service", namespace: service.namespace, name: service.name)
        let recorder = self.recorder
        Task { await recorder.record(reference, type: warning ? .warning : .normal, reason: reason, message: message) }
    }

    private func recordOnNode(warning: Bool, reason: String, message: String) {
        let reference = ObjectReference(apiVersion: "v1", kind: "Node", namespace: nil, name: node)
        let recorder = self.recorder
        Task { await recorder.record(reference, type: warning ? .warning : .normal, reason: reason, message: message) }
    }
}
