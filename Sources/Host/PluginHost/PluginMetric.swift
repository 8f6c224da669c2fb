import CHeraldPlugin
import HeraldCore

/// Gathers the samples of one `collect_metrics` call through a stack-allocated sink.
enum MetricsCollector {
    final class Box {
        var samples: [PluginMetric] = []
    }

    static func collect(_ body: (UnsafePointer<herald_metrics_sink>) -> Void) -> [PluginMetric] {
        let box = Box()
        withExtendedLifetime(box) {
            var sink = herald_metrics_sink(
                struct_size: UInt32(MemoryLayout<herald_metrics_sink>.size),
                context: Unmanaged.passUnretained(box).toOpaque(),
                emit: { context, kind, name, help, labels, count, value in
                    guard let context, let name else { return }
                    let box = Unmanaged<Box>.fromOpaque(context).takeUnretainedValue()
                    var pairs: [String: String] = [:]
                    if let labels {
                        for index in 0..<min(count, 64) {
                            if let k = labels[index].key, let v = labels[index].value {
                                pairs[String(cString: k)] = String(cString: v)
                            }
                        }
                    }
                    let text = String(cString: name)
                    guard MetricsCollector.isValidName(text) else { return }
                    box.samples.append(
                        PluginMetric(
                            kind: kind == HERALD_METRIC_COUNTER ? .counter : .gauge, name: text,
                            help: help.map { String(cString: $0) }, labels: pairs, value: value))
                })
            withUnsafePointer(to: &sink) { body($0) }
        }
        return box.samples
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || (first >= 97 && first <= 122) else {
            return false
        }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) }
    }
}
