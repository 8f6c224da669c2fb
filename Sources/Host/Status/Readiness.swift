import HeraldConfig
import HeraldPluginHost

/// `/readyz`: ready when every plugin instance runs and none is unhealthy (degraded is still ready). The body says,
/// per instance, what is wrong, as JSON.
public enum Readiness {
    public static func evaluate(_ s: StatusSnapshot) -> (ready: Bool, body: String) {
        var ready = true
        var entries: [String] = []
        for i in s.instances {
            let state: String
            if !i.started {
                state = "stopped"
                ready = false
            } else {
                switch i.health.state {
                case .ok: state = "ok"
                case .degraded: state = "degraded"
                case .unhealthy:
                    state = "unhealthy"
                    ready = false
                }
            }
            var entry = "{\"instance\":\(quote(i.name)),\"plugin\":\(quote(i.plugin)),\"state\":\(quote(state))"
            if let detail = i.health.detail { entry += ",\"detail\":\(quote(detail))" }
            entry += ",\"announcements\":\(i.announcements)}"
            entries.append(entry)
        }
        let body =
            "{\"status\":\(quote(ready ? "ready" : "not ready")),\"node\":\(quote(s.node)),"
            + "\"instances\":[\(entries.joined(separator: ","))]}\n"
        return (ready, body)
    }

    static func quote(_ text: String) -> String { JSONText.quoted(text) }
}
