import HeraldCore
import HeraldJSON

/// `/readyz`: ready when every plugin instance runs, none is unhealthy (degraded is still ready) and no enabled
/// instance failed to load, configure or start (a plugins.d problem). The body says, per instance, what is wrong, and
/// lists the problems, as JSON.
package enum Readiness {
    package static func evaluate(_ s: StatusSnapshot) -> (ready: Bool, body: String) {
        // An instance that failed before it could run is not among the instances: it is a problem.
        var ready = s.pluginProblems == 0 && s.problems.isEmpty
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
            + "\"instances\":[\(entries.joined(separator: ","))],"
            + "\"pluginProblems\":\(max(s.pluginProblems, s.problems.count)),"
            + "\"problems\":[\(s.problems.map(quote).joined(separator: ","))]}\n"
        return (ready, body)
    }

    static func quote(_ text: String) -> String { JSONString.quoted(text) }
}
