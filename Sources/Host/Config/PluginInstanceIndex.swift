import HeraldConfigModel

/// What a plugins.d folder holds, by instance name: which names advertisements may use, and for the others where they
/// are written and why they cannot be used.
public struct PluginInstanceIndex: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case enabled(file: String?)
        case disabled(file: String)
        /// The file declares this name but is invalid (its problems are reported against it).
        case invalid(file: String)
    }

    public private(set) var instances: [String: State] = [:]

    public init() {}

    /// Every name enabled, with no file known (a plain list of instance names).
    public init(enabled names: Set<String>) {
        for name in names { instances[name] = .enabled(file: nil) }
    }

    /// Records a file. A name already recorded as enabled keeps that state: the first file that enables a name is
    /// the one that counts.
    public mutating func record(_ name: String, _ state: State) {
        if case .enabled = instances[name] { return }
        if case .invalid = instances[name], case .disabled = state { return }
        instances[name] = state
    }

    /// The index of read plugins.d entries: valid files by their spec, invalid ones by the name they declare.
    public init(_ entries: [(file: String, spec: Result<PluginInstanceSpec, ConfigErrors>, declaredName: String?)]) {
        for entry in entries {
            switch entry.spec {
            case .success(let spec):
                record(spec.name, spec.enabled ? .enabled(file: entry.file) : .disabled(file: entry.file))
            case .failure:
                if let name = entry.declaredName { record(name, .invalid(file: entry.file)) }
            }
        }
    }

    /// Why an advertisement cannot use `name` (completing "names plugin instance "x", …"), or nil when it can.
    func problem(with name: String) -> (message: String, hint: String?)? {
        switch instances[name] {
        case .enabled: return nil
        case .disabled(let file):
            return ("which is disabled in \(file)", "set enabled: true in \(file)")
        case .invalid(let file):
            return ("whose file \(file) is invalid", "fix the problems reported for \(file)")
        case nil:
            let enabled = instances.compactMap { name, state -> String? in
                if case .enabled = state { return name }
                return nil
            }.sorted()
            return (
                "which is not in plugins.d",
                enabled.isEmpty
                    ? "add a file to plugins.d with name: \(name)"
                    : suggestion(for: name, among: enabled, listing: "enabled instances")
            )
        }
    }
}
