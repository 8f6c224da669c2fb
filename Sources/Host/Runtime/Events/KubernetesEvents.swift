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
                service: service, warning: false, reason: "NodeAssigned",
                message: "\(address) is announced from node \"\(node)\" through plugin instance \"\(instance)\"")
        }
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
