/// What ``PluginSet/apply(_:directory:)`` changed, by instance name (each list in plugins.d order).
package struct PluginSetReport: Sendable, Equatable, CustomStringConvertible {
    /// New instances, created, configured and started.
    package var started: [String] = []
    /// Instances that took their new config while running.
    package var reconfigured: [String] = []
    /// Instances replaced by a new one (library changed, or the plugin refuses a live reconfigure), announcements
    /// handed over.
    package var restarted: [String] = []
    /// Instances removed or disabled (or lost when their replacement failed): everything withdrawn, stopped.
    package var stopped: [String] = []
    /// Instances whose new entry was refused (invalid file, config rejected, library not loadable): they run on as
    /// they were.
    package var refused: [String] = []
    /// Instances whose entry did not change.
    package var unchanged: [String] = []
    /// Every problem of the new reading of plugins.d.
    package var problems: [PluginSet.Problem] = []

    package init() {}

    package static func == (a: Self, b: Self) -> Bool {
        (a.started, a.reconfigured, a.restarted, a.stopped, a.refused, a.unchanged)
            == (b.started, b.reconfigured, b.restarted, b.stopped, b.refused, b.unchanged)
            && a.problems.map(\.description) == b.problems.map(\.description)
    }

    /// One line: `started a; reconfigured b; …; 2 problems`.
    package var description: String {
        let parts: [(String, [String])] = [
            ("started", started), ("reconfigured", reconfigured), ("restarted", restarted), ("stopped", stopped),
            ("refused", refused), ("unchanged", unchanged),
        ]
        var text = parts.filter { !$0.1.isEmpty }.map { "\($0.0) \($0.1.joined(separator: ", "))" }
        if !problems.isEmpty { text.append("\(problems.count) problem\(problems.count == 1 ? "" : "s")") }
        return text.isEmpty ? "no change" : text.joined(separator: "; ")
    }
}
