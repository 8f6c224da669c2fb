import HeraldKube
import HeraldKubeModels

/// Events about Herald's own Pod (named by POD_NAME and POD_NAMESPACE from the downward API), so that
/// `kubectl describe pod` shows what went wrong in it.
package enum PodEvents {
    /// At most this many problems go into one Event's message, and the message is cut at `messageLimit` characters.
    package static let problemLimit = 5
    package static let messageLimit = 1024

    /// A report of rejected reloads as a Warning `ConfigReloadFailed` on the Pod; nil unless both names are set.
    /// The recorder's budget and its aggregation of repeats keep the writes bounded; the reloader writes one report
    /// at a time.
    static func reloadReport(recorder: EventRecorder, pod: String?, namespace: String?) -> ConfigReloader.Report? {
        guard let pod, !pod.isEmpty, let namespace, !namespace.isEmpty else { return nil }
        let reference = ObjectReference(apiVersion: "v1", kind: "Pod", namespace: namespace, name: pod)
        return { problems in
            _ = await recorder.record(
                reference, type: .warning, reason: "ConfigReloadFailed", message: reloadMessage(problems))
        }
    }

    package static func reloadMessage(_ problems: [String]) -> String {
        var message = "configuration reload rejected, the running configuration is kept: "
        message += problems.prefix(problemLimit).joined(separator: "; ")
        if problems.count > problemLimit { message += "; and \(problems.count - problemLimit) more" }
        if message.count > messageLimit { message = String(message.prefix(messageLimit - 1)) + "…" }
        return message
    }
}
