import HeraldConfig
import Synchronization
import HeraldConfigModel

/// The configuration in force, and a stream of every configuration applied after it (reloads). Only valid
/// configurations ever enter it: a bad reload never replaces a good one.
package final class ConfigStore: Sendable {
    struct State {
        var current: HeraldConfiguration
        var subscribers: [Int: AsyncStream<HeraldConfiguration>.Continuation] = [:]
        var next = 0
    }

    private let state: Mutex<State>

    package init(_ config: HeraldConfiguration) { state = Mutex(State(current: config)) }

    /// The configuration in force.
    package var current: HeraldConfiguration { state.withLock { $0.current } }

    /// Puts `config` in force and tells every subscriber.
    package func apply(_ config: HeraldConfiguration) {
        let subscribers = state.withLock { s in
            s.current = config
            return Array(s.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield(config) }
    }

    /// Every configuration applied from now on.
    package func changes() -> AsyncStream<HeraldConfiguration> {
        let (stream, continuation) = AsyncStream.makeStream(of: HeraldConfiguration.self)
        let id = state.withLock { s in
            s.next += 1
            s.subscribers[s.next] = continuation
            return s.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }
}
