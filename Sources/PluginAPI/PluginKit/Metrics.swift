/// Writes metrics into the host's sink during `collectMetrics`. Names are `[a-z_][a-z0-9_]*`; the host adds the
/// `herald_plugin_` prefix and the instance label.
public struct MetricsWriter {
    let sink: UnsafePointer<herald_metrics_sink>

    /// A counter: a total that only grows (by convention named `…_total`).
    public func counter(_ name: String, _ value: Double, labels: [String: String] = [:], help: String? = nil) {
        emit(HERALD_METRIC_COUNTER, name, value, labels, help)
    }

    /// A gauge: a value that goes up and down.
    public func gauge(_ name: String, _ value: Double, labels: [String: String] = [:], help: String? = nil) {
        emit(HERALD_METRIC_GAUGE, name, value, labels, help)
    }

    private func emit(_ kind: Int32, _ name: String, _ value: Double, _ labels: [String: String], _ help: String?) {
        guard let emit = sink.pointee.emit else { return }
        let sorted = labels.sorted { $0.key < $1.key }
        var cStrings: [UnsafeMutablePointer<CChar>] = []
        defer { cStrings.forEach { free($0) } }
        var pairs: [herald_kv] = []
        for (k, v) in sorted {
            let ck = strdup(k)!
            let cv = strdup(v)!
            cStrings += [ck, cv]
            pairs.append(herald_kv(key: ck, value: cv))
        }
        name.withCString { n in
            pairs.withUnsafeBufferPointer { p in
                if let help {
                    help.withCString { emit(sink.pointee.context, kind, n, $0, p.baseAddress, p.count, value) }
                } else {
                    emit(sink.pointee.context, kind, n, nil, p.baseAddress, p.count, value)
                }
            }
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
