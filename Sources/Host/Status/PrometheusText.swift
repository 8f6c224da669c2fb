import HeraldCore

/// Renders a ``StatusSnapshot`` in the Prometheus text exposition format (version 0.0.4).
///
/// Host metrics are `herald_*`. A plugin's own metrics are exposed as `herald_<name>` with an `instance` label naming
/// the plugin instance (a plugin label called `instance` becomes `exported_instance`). Every family gets one HELP and
/// one TYPE line; a name a plugin reports as both counter and gauge keeps the first kind seen and the conflicting
/// samples are counted in `herald_plugin_metric_conflicts_total`. Invalid label names are dropped.
package enum PrometheusText {
    package static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    struct Family {
        var name: String
        var help: String
        var type: String
        var samples: [(labels: [(String, String)], value: Double)] = []
    }

    package static func render(_ s: StatusSnapshot) -> String {
        var families: [Family] = []
        func family(_ name: String, _ type: String, _ help: String, _ samples: [([(String, String)], Double)]) {
            families.append(Family(name: name, help: help, type: type, samples: samples.map { ($0.0, $0.1) }))
        }
        family(
            "herald_build_info", "gauge", "Herald's version and plugin ABI.",
            [([("version", s.version), ("abi", s.abi), ("node", s.node)], 1)])
        family(
            "herald_plugin_problems", "gauge", "Plugin files or instances that could not be loaded or configured.",
            [([], Double(s.pluginProblems))])
        family(
            "herald_config_reloads_total", "counter",
            "Configuration reloads (SIGHUP or a change of the files), by result: success (applied) or failure (kept the running one).",
            [([("result", "success")], Double(s.reloads)), ([("result", "failure")], Double(s.failedReloads))])
        family(
            "herald_reconcile_passes_total", "counter", "Reconcile passes (sources → planner → plugin instances).",
            [([], Double(s.reconcilePasses))])
        family(
            "herald_reconcile_seconds_total", "counter", "Time spent in reconcile passes.",
            [([], s.reconcileSeconds)])
        family(
            "herald_reconcile_last_seconds", "gauge", "How long the last reconcile pass took.",
            [([], s.lastReconcileSeconds)])
        let components = s.events.keys.sorted()
        if !components.isEmpty {
            family(
                "herald_events_written_total", "counter", "Kubernetes Events created or updated, by component.",
                components.map { ([("component", $0)], Double(s.events[$0]!.written)) })
            family(
                "herald_events_dropped_total", "counter",
                "Kubernetes Events left out by the per-namespace rate limit, by component.",
                components.map { ([("component", $0)], Double(s.events[$0]!.dropped)) })
        }
        if let pools = s.pools {
            // One sample per pool and family, families in order.
            let rows = pools.flatMap { pool in
                pool.usage.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                    (labels: [("pool", pool.pool), ("family", $0.key.rawValue)], usage: $0.value)
                }
            }
            family(
                "herald_pool_addresses", "gauge",
                "Usable addresses of a pool, per family (from the leading allocator).",
                rows.map { ($0.labels, Double($0.usage.total)) })
            family(
                "herald_pool_addresses_in_use", "gauge",
                "Addresses of a pool held by at least one Service, per family (from the leading allocator).",
                rows.map { ($0.labels, Double($0.usage.inUse)) })
        }
        let instances = Set(s.ownershipGained.keys).union(s.ownershipLost.keys).sorted()
        family(
            "herald_ownership_changes_total", "counter",
            "Exclusive (layer-2) addresses this node began or stopped announcing, by instance.",
            instances.flatMap { name in
                [
                    ([("instance", name), ("change", "gained")], Double(s.ownershipGained[name] ?? 0)),
                    ([("instance", name), ("change", "lost")], Double(s.ownershipLost[name] ?? 0)),
                ]
            })
        let each = { (f: (StatusSnapshot.Instance) -> Double) in
            s.instances.map { i in ([("instance", i.name), ("plugin", i.plugin)], f(i)) }
        }
        family(
            "herald_plugin_instance_started", "gauge", "1 while the plugin instance runs.", each { $0.started ? 1 : 0 })
        family(
            "herald_plugin_instance_health", "gauge",
            "The instance's health: 0 ok, 1 degraded, 2 unhealthy.", each { Double($0.health.state.rawValue) })
        family(
            "herald_plugin_instance_announcements", "gauge", "Addresses the instance currently announces.",
            each { Double($0.announcements) })
        family(
            "herald_plugin_log_lines_total", "counter", "Log lines the instance wrote through the host.",
            each { Double($0.logLines) })
        family(
            "herald_plugin_log_lines_suppressed_total", "counter", "Log lines dropped by the host's rate limit.",
            each { Double($0.suppressedLogLines) })
        family(
            "herald_plugin_events_total", "counter", "Events the instance raised.", each { Double($0.events) })

        // The plugins' own metrics, grouped by name across instances.
        var index: [String: Int] = [:]
        var conflicts: [String: Int] = [:]
        let hostNames = Set(families.map(\.name))
        for instance in s.instances {
            for metric in instance.metrics {
                let name = "herald_" + metric.name
                let type = metric.kind == .counter ? "counter" : "gauge"
                var labels: [(String, String)] = [("instance", instance.name)]
                for key in metric.labels.keys.sorted() where isValidLabelName(key) {
                    labels.append((key == "instance" ? "exported_instance" : key, metric.labels[key]!))
                }
                if hostNames.contains(name) {
                    conflicts[instance.name, default: 0] += 1
                    continue
                }
                if let at = index[name] {
                    guard families[at].type == type else {
                        conflicts[instance.name, default: 0] += 1
                        continue
                    }
                    families[at].samples.append((labels, metric.value))
                } else {
                    index[name] = families.count
                    families.append(
                        Family(
                            name: name, help: metric.help ?? "Reported by plugin \(instance.plugin).", type: type,
                            samples: [(labels, metric.value)]))
                }
            }
        }
        family(
            "herald_plugin_metric_conflicts_total", "gauge",
            "Plugin samples left out because their name clashes with another kind or a host metric.",
            s.instances.map { ([("instance", $0.name)], Double(conflicts[$0.name] ?? 0)) })

        var out = ""
        for f in families {
            out += "# HELP \(f.name) \(escape(f.help, quotes: false))\n# TYPE \(f.name) \(f.type)\n"
            for sample in f.samples {
                out += f.name
                if !sample.labels.isEmpty {
                    out += "{" + sample.labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
                }
                out += " \(format(sample.value))\n"
            }
        }
        return out
    }

    static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !name.hasPrefix("__") else { return false }
        func letter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
        return letter(first) && name.utf8.allSatisfy { letter($0) || ($0 >= 48 && $0 <= 57) }
    }

    /// Escapes a label value (backslash, double quote, newline) or, with `quotes: false`, a HELP text (backslash,
    /// newline), as the exposition format requires.
    static func escape(_ text: String, quotes: Bool = true) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"" where quotes: out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
