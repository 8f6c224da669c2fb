import HeraldConfig
import HeraldConfigModel
import HeraldCore
import Synchronization

/// The configuration in force, and a stream of every configuration applied after it (reloads). Only valid
/// configurations ever enter it: a bad reload never replaces a good one.
package final class ConfigStore: Sendable {
    private let current_: Mutex<HeraldConfiguration>
    private let applied = Broadcast<HeraldConfiguration>()

    package init(_ config: HeraldConfiguration) { current_ = Mutex(config) }

    /// The configuration in force.
    package var current: HeraldConfiguration { current_.withLock { $0 } }

    /// Puts `config` in force and tells every subscriber.
    package func apply(_ config: HeraldConfiguration) {
        current_.withLock { $0 = config }
        applied.yield(config)
    }

    /// Every configuration applied from now on.
    package func changes() -> AsyncStream<HeraldConfiguration> { applied.subscribe() }
}
