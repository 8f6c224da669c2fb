import HeraldPlanner

/// The static VIPs of herald.yaml; they change with the configuration.
package struct StaticVIPSource: AddressSource {
    let config: ConfigStore

    package init(config: ConfigStore) { self.config = config }

    package var name: String { "static" }

    package func addresses() -> [ServiceAddress] { config.current.staticAddresses }

    package func changes() -> AsyncStream<Void> {
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
