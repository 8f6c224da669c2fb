/// Go's duration text (`90s`, `1m30s`, `1.5h`, `300ms`), which Kubernetes' `metav1.Duration` fields and MetalLB's
/// legacy ConfigMap use.
package enum GoDuration {
    private static let units: [(String, Double)] = [
        ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
    ]

    /// The duration, or nil when `text` is not one. Negative durations are refused (no MetalLB field takes one).
    package static func parse(_ text: String) -> Duration? {
        var rest = Substring(text)
        if rest.first == "+" { rest = rest.dropFirst() }
        if rest == "0" { return .zero }
        guard !rest.isEmpty else { return nil }
        var seconds = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1,
                let value = Double(number.hasPrefix(".") ? "0" + number : String(number))
            else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            seconds += value * unit.1
        }
        guard seconds.isFinite, seconds < 1e12 else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// Whole seconds of `duration`, and whether it was a whole number of seconds.
    package static func wholeSeconds(_ duration: Duration) -> (seconds: Int64, exact: Bool) {
        let (seconds, attoseconds) = duration.components
        return (seconds, attoseconds == 0)
    }
}
