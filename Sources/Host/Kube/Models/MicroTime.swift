import Foundation

/// `metav1.MicroTime` / `metav1.Time`: RFC 3339 UTC timestamps, written with microseconds
/// (`2026-11-28T10:00:00.000000Z`) and read with or without a fraction.
public struct MicroTime: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The instant.
    public var date: Date

    /// Creates a timestamp.
    public init(_ date: Date) { self.date = date }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`; nil if malformed.
    public init?(string: String) {
        let parts = string.split(separator: ".", maxSplits: 1)
        var whole = String(parts[0])
        var fraction = 0.0
        if parts.count == 2 {
            let digits = parts[1].prefix { $0.isNumber }
            guard !digits.isEmpty, let f = Double("0." + digits) else { return nil }
            fraction = f
            whole += String(parts[1].dropFirst(digits.count))
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        guard let d = f.date(from: whole) else { return nil }
        date = d.addingTimeInterval(fraction)
    }

    /// The microsecond form.
    public var description: String {
        let t = date.timeIntervalSince1970
        let secs = t.rounded(.down)
        let micros = min(999_999, Int(((t - secs) * 1_000_000).rounded()))
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        let base = f.string(from: Date(timeIntervalSince1970: secs))
        let frac = String(micros).leftPadded(to: 6)
        return base.dropLast() + "." + frac + "Z"
    }

    /// The seconds form used by `metav1.Time` fields.
    public var seconds: String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let t = MicroTime(string: s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad time \(s)"))
        }
        self = t
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public static func < (a: MicroTime, b: MicroTime) -> Bool { a.date < b.date }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
