import HeraldPlanner

/// The static VIPs of herald.yaml; they change with the configuration.
public struct StaticVIPSource: AddressSource {
    let config: ConfigStore

    public init(config: ConfigStore) { self.config = config }

    public var name: String { "static" }

    public func addresses() -> [ServiceAddress] { config.current.staticAddresses }

    public func changes() -> AsyncStream<Void> {
        let configs = config.changes()
        return AsyncStream { continuation in
            let task = Task {
                for await _ in configs { continuation.yield() }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
