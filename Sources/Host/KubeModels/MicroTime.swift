import Foundation

/// `metav1.MicroTime` / `metav1.Time`: RFC 3339 UTC timestamps, written with microseconds
/// (`2026-11-28T10:00:00.000000Z`) and read with or without a fraction.
public struct MicroTime: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The instant.
    public var date: Date

    /// Creates a timestamp.
    public init(_ date: Date) { self.date = date }

    /// Parses an RFC 3339 timestamp, `YYYY-MM-DDTHH:MM:SS[.fraction]` then `Z` or an offset `±HH:MM`; nil if
    /// malformed (a field out of range, a day the month does not have). Pure arithmetic on the proleptic Gregorian
    /// calendar: no formatter, no locale or ICU data (a host decodes a timestamp with every lease and Event).
    public init?(string: String) {
        let utf8 = Array(string.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= utf8.count else { return nil }
            var value = 0
            for byte in utf8[range] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard utf8.count >= 20, utf8[4] == 0x2D, utf8[7] == 0x2D, utf8[10] | 0x20 == 0x74, utf8[13] == 0x3A,
            utf8[16] == 0x3A, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day), hour < 24,
            minute < 60, second < 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if utf8[index] == 0x2E {
            let digits = utf8[(index + 1)...].prefix { $0 >= 0x30 && $0 <= 0x39 }
            guard !digits.isEmpty, let f = Double("0." + String(decoding: digits, as: UTF8.self)) else { return nil }
            fraction = f
            index += 1 + digits.count
        }
        var offset = 0
        if index == utf8.count - 1, utf8[index] | 0x20 == 0x7A {
            offset = 0
        } else if index == utf8.count - 6, utf8[index] == 0x2B || utf8[index] == 0x2D, utf8[index + 3] == 0x3A,
            let hours = number((index + 1)..<(index + 3)), let minutes = number((index + 4)..<(index + 6)),
            hours < 24, minutes < 60
        {
            offset = (utf8[index] == 0x2B ? 1 : -1) * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        let seconds = Self.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        date = Date(timeIntervalSince1970: Double(seconds - offset) + fraction)
    }

    /// The microsecond form.
    public var description: String {
        let t = date.timeIntervalSince1970
        let secs = t.rounded(.down)
        let micros = min(999_999, Int(((t - secs) * 1_000_000).rounded()))
        return Self.format(Int(secs), fraction: String(micros).leftPadded(to: 6))
    }

    /// The seconds form used by `metav1.Time` fields.
    public var seconds: String { Self.format(Int(date.timeIntervalSince1970.rounded(.down)), fraction: nil) }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` for whole seconds since 1970 (UTC).
    static func format(_ seconds: Int, fraction: String?) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let inDay = seconds - days * 86_400
        let (year, month, day) = civil(days: days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let date = "\(String(year).leftPadded(to: 4))-\(two(month))-\(two(day))"
        let time = "\(two(inDay / 3600)):\(two(inDay / 60 % 60)):\(two(inDay % 60))"
        return "\(date)T\(time)" + (fraction.map { ".\($0)" } ?? "") + "Z"
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's `days_from_civil`).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (the inverse of ``days(year:month:day:)``).
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
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
