import HeraldConfigModel

/// What one YAML file may expand to once every alias is replaced by a copy of its anchor. A file beyond any limit is
/// rejected at the alias (or anchor) that crosses it, before any value is built, so that a few hundred bytes of nested
/// aliases ("billion laughs") cost microseconds instead of gigabytes.
public struct YAMLLimits: Sendable, Equatable {
    /// Anchors (`&name`) defined in the file.
    public var anchors: Int
    /// Aliases (`*name`) written in the file.
    public var aliases: Int
    /// Nodes (scalars, lists and mappings) of the expanded document.
    public var nodes: Int
    /// Bytes of scalar text in the expanded document.
    public var scalarBytes: Int
    /// Lists and mappings nested in one another.
    public var depth: Int

    public init(
        anchors: Int = 1_000, aliases: Int = 10_000, nodes: Int = 250_000, scalarBytes: Int = 16 << 20,
        depth: Int = 100
    ) {
        self.depth = depth
        self.anchors = anchors
        self.aliases = aliases
        self.nodes = nodes
        self.scalarBytes = scalarBytes
    }

    /// The limits `herald.yaml` and plugins.d files are read with: above any real configuration (250,000 nodes are
    /// some 40,000 pools; 16 MiB is the largest file Herald reads), far below what would hurt the host.
    public static let standard = YAMLLimits()

    /// The problems of `text` against these limits and YAML's syntax (duplicate keys included), found without
    /// building any value: the check every file gets before it is read. The limits count the whole file, however
    /// many documents it holds (`multipleDocuments`: manifests; otherwise a second document is a problem).
    public func problems(in text: String, file: String, multipleDocuments: Bool = false) -> [Diagnostic] {
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var prescan = YAMLPrescan(limits: self, multipleDocuments: multipleDocuments)
        _ = prescan.scan(bytes)
        return prescan.problems.map {
            Diagnostic(SourceLocation(file: file, line: $0.line, column: $0.column), $0.message, hint: $0.hint)
        }
    }
}
