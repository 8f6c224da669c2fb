import HeraldConfig
import HeraldCore
import Logging

/// The plugin instances of a plugins.d folder, created and configured; and every problem met on the way. One bad file
/// never stops the others.
public final class PluginSet: Sendable {
    /// A file or instance that could not be used, and why.
    public struct Problem: Sendable, CustomStringConvertible {
        public var file: String
        public var instance: String?
        public var message: String
        public var description: String {
            // Diagnostics already start with file:line:column.
            if instance == nil && message.hasPrefix("\(file):") { return message }
            return "\(file): " + (instance.map { "instance \"\($0)\": " } ?? "") + message
        }
    }

    public let instances: [PluginInstance]
    public let problems: [Problem]
    /// Instances present in plugins.d with `enabled: false`.
    public let switchedOff: [PluginInstanceSpec]

    public func instance(named name: String) -> PluginInstance? { instances.first { $0.name == name } }

    init(instances: [PluginInstance], problems: [Problem], switchedOff: [PluginInstanceSpec]) {
        self.instances = instances
        self.problems = problems
        self.switchedOff = switchedOff
    }

    /// Creates and configures an instance for every enabled entry. Nothing is started.
    public static func make(
        entries: [PluginDirectory.Entry], directory: String?, loader: PluginLoader, node: NodeInfo, logger: Logger,
        onEvent: @escaping @Sendable (PluginEvent) -> Void = { _ in },
        onHealth: @escaping @Sendable (String, PluginHealth) -> Void = { _, _ in }
    ) -> PluginSet {
        var instances: [PluginInstance] = []
        var problems: [Problem] = []
        var switchedOff: [PluginInstanceSpec] = []
        var files: [String: String] = [:]
        for entry in entries {
            let spec: PluginInstanceSpec
            switch entry.spec {
            case .failure(let errors):
                problems += errors.diagnostics.map { Problem(file: entry.file, instance: nil, message: "\($0)") }
                continue
            case .success(let s): spec = s
            }
            guard spec.enabled else {
                switchedOff.append(spec)
                continue
            }
            if let first = files[spec.name] {
                problems.append(
                    Problem(
                        file: entry.file, instance: spec.name,
                        message: "refused: the instance name is already used by \(first)"))
                continue
            }
            files[spec.name] = entry.file
            do {
                let path = try loader.resolve(spec.library, baseDirectory: directory)
                let library = try loader.load(path: path)
                let instance = try PluginInstance(
                    name: spec.name, library: library, logger: logger, onEvent: onEvent, onHealth: onHealth)
                do {
                    try instance.configure(json: spec.configJSON, node: node)
                } catch {
                    instance.destroy()
                    throw error
                }
                instances.append(instance)
            } catch let error as PluginCallError {
                problems.append(Problem(file: entry.file, instance: spec.name, message: error.detail))
            } catch {
                problems.append(Problem(file: entry.file, instance: spec.name, message: "\(error)"))
            }
        }
        return PluginSet(instances: instances, problems: problems, switchedOff: switchedOff)
    }

    /// Stops and destroys every instance, in reverse order of creation.
    public func shutdown() {
        for instance in instances.reversed() { instance.destroy() }
    }
}
