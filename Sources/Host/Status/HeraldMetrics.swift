import HeraldCore
import Prometheus
import Synchronization

/// Herald's metrics in one Prometheus registry per host process: `/metrics` renders it (``render(_:)``).
///
/// `herald run` bootstraps swift-metrics with a `PrometheusMetricsFactory` on the same registry, so whatever a library
/// reports through swift-metrics (NIO, the HTTP client) is exposed beside Herald's own families.
///
/// - What the host counts as it happens is recorded at once: plugin call durations and failures (as a
///   ``PluginCallObserver``), the allocator's assignment latency.
/// - What is state (health, announcements, pool sizes) is a gauge set from the ``StatusSnapshot`` at every scrape, in
///   the collect step before the registry is rendered.
/// - Totals the host or a plugin keeps as absolute numbers (reloads, reconcile passes, log lines, a plugin's
///   counters) are counters too: the collect step keeps the last total of each series and increments the counter by
///   the difference. A total that goes down (a plugin runner restarted, an instance made anew) resets the series and
///   starts it at the new total, which Prometheus' `rate` and `increase` read as a counter reset.
/// - A series the snapshot no longer has (an instance removed, a pool deleted, a component gone) is unregistered, so
///   it leaves `/metrics` at once; so are the call metrics of an instance that is gone.
///
/// A plugin's own metrics are `herald_<name>` with an `instance` label naming the plugin instance (a plugin label
/// called `instance` becomes `exported_instance`; invalid label names are dropped). A name is of the kind it was first
/// reported with while any series of it exists: samples of the other kind, or named like a host family, are left out
/// and counted per instance in `herald_plugin_metric_conflicts_total` (a gauge: the conflicts of the last scrape).
package final class HeraldMetrics: PluginCallObserver, Sendable {
    package static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The buckets of `herald_plugin_call_duration_seconds`: 10 µs to 10 s.
    package static let callBuckets: [Duration] = [
        .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250),
        .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]
    /// The buckets of `herald_allocator_assignment_seconds`: 1 ms to 60 s.
    package static let assignmentBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60),
    ]

    /// Every family the host itself publishes: a plugin metric of one of these names is a conflict.
    package static let hostFamilies: Set<String> = [
        "herald_build_info", "herald_plugin_problems", "herald_config_reloads_total", "herald_reconcile_passes_total",
        "herald_reconcile_seconds_total", "herald_reconcile_last_seconds", "herald_events_written_total",
        "herald_events_dropped_total", "herald_pool_addresses", "herald_pool_addresses_in_use",
        "herald_pool_addresses_available", "herald_ownership_changes_total", "herald_plugin_instance_started",
        "herald_plugin_instance_health", "herald_plugin_instance_announcements", "herald_plugin_log_lines_total",
        "herald_plugin_log_lines_suppressed_total", "herald_plugin_events_total",
        "herald_plugin_metric_conflicts_total",
        "herald_plugin_call_duration_seconds", "herald_plugin_call_failures_total",
        "herald_allocator_assignment_seconds",
    ]

    package let registry: PrometheusCollectorRegistry
    /// The series the collect step keeps; held across collect and render so that scrapes do not interleave.
    private let scraped = Mutex(Scraped())
    /// The call metrics, recorded from the plugins' call threads.
    private let calls = Mutex([CallKey: CallSeries]())
    private let assignment = Mutex<DurationHistogram?>(nil)

    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    // MARK: Recorded as it happens

    package func pluginCall(instance: String, plugin: String, call: String, duration: Duration?, failed: Bool) {
        let key = CallKey(instance: instance, plugin: plugin, call: call)
        let series = calls.withLock { all -> CallSeries in
            if let series = all[key] { return series }
            let labels = [("instance", instance), ("plugin", plugin), ("call", call)]
            let series = CallSeries(
                duration: registry.makeDurationHistogram(
                    descriptor: Self.descriptor(
                        "herald_plugin_call_duration_seconds",
                        "Time spent in calls into the plugin instance, by call (returned calls only)."),
                    labels: labels, buckets: Self.callBuckets),
                failures: registry.makeCounter(
                    descriptor: Self.descriptor(
                        "herald_plugin_call_failures_total",
                        "Calls into the plugin instance that returned an error or did not return in time, by call."),
                    labels: labels))
            all[key] = series
            return series
        }
        if let duration { series.duration.record(duration) }
        if failed { series.failures.increment() }
    }

    /// A Service got its first address `latency` after the allocator first saw it.
    package func assigned(after latency: Duration) {
        let histogram = assignment.withLock { histogram -> DurationHistogram in
            if let histogram { return histogram }
            let made = registry.makeDurationHistogram(
                descriptor: Self.descriptor(
                    "herald_allocator_assignment_seconds",
                    "From the allocator first seeing a LoadBalancer Service to the status write that gave it its "
                        + "first address (leading allocator)."),
                buckets: Self.assignmentBuckets)
            histogram = made
            return made
        }
        histogram.record(max(latency, .zero))
    }

    // MARK: The scrape

    /// Brings the registry to `snapshot` (the collect step) and renders it in the Prometheus text format.
    package func render(_ snapshot: StatusSnapshot) -> String {
        scraped.withLock { scraped in
            collect(snapshot, into: &scraped)
            var buffer: [UInt8] = []
            buffer.reserveCapacity(scraped.lastSize + 1024)
            registry.emit(into: &buffer)
            scraped.lastSize = buffer.count
            return String(decoding: buffer, as: UTF8.self)
        }
    }

    struct SeriesKey: Hashable {
        var name: String
        var labels: [String]

        init(_ name: String, _ labels: [(String, String)]) {
            self.name = name
            self.labels = labels.flatMap { [$0.0, $0.1] }
        }
    }

    enum Handle {
        case gauge(Gauge)
        case counter(Counter, last: Double)
    }

    struct Scraped {
        var handles: [SeriesKey: Handle] = [:]
        /// The kind and HELP text of each plugin family, as first reported (the registry wants one of each).
        var pluginFamilies: [String: (kind: PluginMetric.Kind, help: String)] = [:]
        var lastSize = 0
    }

    struct CallKey: Hashable {
        var instance: String
        var plugin: String
        var call: String
    }

    struct CallSeries: Sendable {
        var duration: DurationHistogram
        var failures: Counter
    }

    private func collect(_ s: StatusSnapshot, into scraped: inout Scraped) {
        var seen = Set<SeriesKey>()
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Double) {
            let key = SeriesKey(name, labels)
            guard seen.insert(key).inserted else { return }
            if case .gauge(let g) = scraped.handles[key] {
                g.set(value)
                return
            }
            let g = registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
            g.set(value)
            scraped.handles[key] = .gauge(g)
        }
        func counter(_ name: String, _ help: String, _ labels: [(String, String)], _ total: Double) {
            let key = SeriesKey(name, labels)
            guard total.isFinite, total >= 0, seen.insert(key).inserted else { return }
            var counter: Counter
            var last = 0.0
            if case .counter(let c, let l) = scraped.handles[key] {
                (counter, last) = (c, l)
            } else {
                counter = registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
            }
            if total < last {
                counter.reset()
                last = 0
            }
            let delta = total - last
            if total == total.rounded(), last == last.rounded(), total < 9e15 {
                counter.increment(by: Int64(delta))
            } else if delta > 0 {
                counter.increment(by: delta)
            }
            scraped.handles[key] = .counter(counter, last: total)
        }

        gauge(
            "herald_build_info", "Herald's version and plugin ABI.",
            [("version", s.version), ("abi", s.abi), ("node", s.node)], 1)
        gauge(
            "herald_plugin_problems", "Plugin files or instances that could not be loaded or configured.", [],
            Double(s.pluginProblems))
        let reloadsHelp =
            "Configuration reloads (SIGHUP or a change of the files), by result: success (applied) or failure (kept the running one)."
        counter("herald_config_reloads_total", reloadsHelp, [("result", "success")], Double(s.reloads))
        counter("herald_config_reloads_total", reloadsHelp, [("result", "failure")], Double(s.failedReloads))
        counter(
            "herald_reconcile_passes_total", "Reconcile passes (sources → planner → plugin instances).", [],
            Double(s.reconcilePasses))
        counter("herald_reconcile_seconds_total", "Time spent in reconcile passes.", [], s.reconcileSeconds)
        gauge("herald_reconcile_last_seconds", "How long the last reconcile pass took.", [], s.lastReconcileSeconds)
        for component in s.events.keys.sorted() {
            let (written, dropped) = s.events[component]!
            counter(
                "herald_events_written_total", "Kubernetes Events created or updated, by component.",
                [("component", component)], Double(written))
            counter(
                "herald_events_dropped_total",
                "Kubernetes Events left out by the per-namespace rate limit, by component.",
                [("component", component)], Double(dropped))
        }
        for pool in s.pools ?? [] {
            for (family, usage) in pool.usage.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let labels = [("pool", pool.pool), ("family", family.rawValue)]
                gauge(
                    "herald_pool_addresses", "Usable addresses of a pool, per family (from the leading allocator).",
                    labels, Double(usage.total))
                gauge(
                    "herald_pool_addresses_in_use",
                    "Addresses of a pool held by at least one Service, per family (from the leading allocator).",
                    labels, Double(usage.inUse))
                gauge(
                    "herald_pool_addresses_available",
                    "Addresses of a pool no Service holds (usable minus in use), per family (from the leading allocator).",
                    labels, Double(usage.free))
            }
        }
        let ownershipHelp = "Exclusive (layer-2) addresses this node began or stopped announcing, by instance."
        for name in Set(s.ownershipGained.keys).union(s.ownershipLost.keys).sorted() {
            counter(
                "herald_ownership_changes_total", ownershipHelp, [("instance", name), ("change", "gained")],
                Double(s.ownershipGained[name] ?? 0))
            counter(
                "herald_ownership_changes_total", ownershipHelp, [("instance", name), ("change", "lost")],
                Double(s.ownershipLost[name] ?? 0))
        }
        for i in s.instances {
            let labels = [("instance", i.name), ("plugin", i.plugin)]
            gauge("herald_plugin_instance_started", "1 while the plugin instance runs.", labels, i.started ? 1 : 0)
            gauge(
                "herald_plugin_instance_health", "The instance's health: 0 ok, 1 degraded, 2 unhealthy.", labels,
                Double(i.health.state.rawValue))
            gauge(
                "herald_plugin_instance_announcements", "Addresses the instance currently announces.", labels,
                Double(i.announcements))
            counter(
                "herald_plugin_log_lines_total", "Log lines the instance wrote through the host.", labels,
                Double(i.logLines))
            counter(
                "herald_plugin_log_lines_suppressed_total", "Log lines dropped by the host's rate limit.", labels,
                Double(i.suppressedLogLines))
            counter("herald_plugin_events_total", "Events the instance raised.", labels, Double(i.events))
        }

        // The plugins' own metrics.
        var conflicts: [String: Int] = [:]
        for instance in s.instances {
            for metric in instance.metrics {
                let name = "herald_" + metric.name
                var labels: [(String, String)] = [("instance", instance.name)]
                for key in metric.labels.keys.sorted() where Self.isValidLabelName(key) {
                    let label = key == "instance" ? "exported_instance" : key
                    guard !labels.contains(where: { $0.0 == label }) else { continue }
                    labels.append((label, metric.labels[key]!))
                }
                let family =
                    scraped.pluginFamilies[name]
                    ?? (metric.kind, metric.help ?? "Reported by plugin \(instance.plugin).")
                guard !Self.hostFamilies.contains(name), family.kind == metric.kind else {
                    conflicts[instance.name, default: 0] += 1
                    continue
                }
                scraped.pluginFamilies[name] = family
                switch metric.kind {
                case .gauge: gauge(name, family.help, labels, metric.value)
                case .counter: counter(name, family.help, labels, metric.value)
                }
            }
        }
        for instance in s.instances {
            gauge(
                "herald_plugin_metric_conflicts_total",
                "Plugin samples left out because their name clashes with another kind or a host metric.",
                [("instance", instance.name)], Double(conflicts[instance.name] ?? 0))
        }

        // What the snapshot no longer has leaves the registry.
        for (key, handle) in scraped.handles where !seen.contains(key) {
            switch handle {
            case .gauge(let g): registry.unregisterGauge(g)
            case .counter(let c, _): registry.unregisterCounter(c)
            }
            scraped.handles[key] = nil
        }
        let published = Set(scraped.handles.keys.map(\.name))
        scraped.pluginFamilies = scraped.pluginFamilies.filter { published.contains($0.key) }
        let instances = Set(s.instances.map { [$0.name, $0.plugin] })
        calls.withLock { all in
            for (key, series) in all where !instances.contains([key.instance, key.plugin]) {
                registry.unregisterDurationHistogram(series.duration)
                registry.unregisterCounter(series.failures)
                all[key] = nil
            }
        }
    }

    /// A family's name as it is (no parts to join) and its HELP text.
    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !name.hasPrefix("__") else { return false }
        func letter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
        return letter(first) && name.utf8.allSatisfy { letter($0) || ($0 >= 48 && $0 <= 57) }
    }
}
