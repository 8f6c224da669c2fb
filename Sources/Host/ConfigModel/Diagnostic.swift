/// A place in a configuration file. Lines and columns count from 1.
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (a: Self, b: Self) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

/// One problem found in a configuration file: where, what, and what to do about it.
public struct Diagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    /// How bad it is.
    public enum Severity: String, Hashable, Sendable {
        /// The file is invalid and never applied.
        case error
        /// The file is valid and applied as it is read, but probably does not say what its author meant.
        case warning
    }

    public var location: SourceLocation
    public var message: String
    /// What the operator can do, when there is something specific to suggest.
    public var hint: String?
    public var severity: Severity

    public init(_ location: SourceLocation, _ message: String, hint: String? = nil, severity: Severity = .error) {
        self.location = location
        self.message = message
        self.hint = hint
        self.severity = severity
    }

    /// `file:line:column: error: message (hint)` (or `warning:`), the form editors and CI logs link to.
    public var description: String {
        "\(location): \(severity.rawValue): \(message)" + (hint.map { " (\($0))" } ?? "")
    }
}

/// Every error of one validation pass. A configuration with any error is never applied.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics.sorted { $0.location < $1.location } }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
