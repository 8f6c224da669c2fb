import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldMetalLB
import HeraldPluginHost
import Synchronization

/// What runs in MetalLB mode: herald.yaml's own settings and plugins.d (reloaded on SIGHUP or a change on disk),
/// with the pools, advertisements and plugin instances derived from MetalLB's objects (updated as they change). Each
/// side keeps its last valid value, so that a bad herald.yaml or a bad MetalLB object never replaces a good
/// configuration; every change of either hands the whole on through `apply`, the reload path SIGHUP uses.
package final class MetalLBComposer: Sendable {
    package typealias Apply = @Sendable (HeraldConfiguration, [PluginDirectory.Entry]) -> Void

    struct State {
        var base: HeraldConfiguration
        var entries: [PluginDirectory.Entry]
        var derived: MetalLBDerivation.Derived
    }

    let state: Mutex<State>
    let apply: Apply
    /// Whether derived plugin instances are run here (not in the allocator role, which loads no plugin).
    let withPlugins: Bool

    package init(
        base: HeraldConfiguration, entries: [PluginDirectory.Entry], derived: MetalLBDerivation.Derived,
        withPlugins: Bool, apply: @escaping Apply
    ) {
        state = Mutex(State(base: base, entries: entries, derived: derived))
        self.withPlugins = withPlugins
        self.apply = apply
    }

    /// The composition in force.
    package var current: (config: HeraldConfiguration, entries: [PluginDirectory.Entry]) {
        let s = state.withLock { $0 }
        return Self.compose(base: s.base, entries: s.entries, derived: s.derived, withPlugins: withPlugins)
    }

    /// The derivation in force.
    package var derived: MetalLBDerivation.Derived { state.withLock { $0.derived } }

    /// A valid herald.yaml and plugins.d (nil: no plugins.d folder), read again.
    package func reloadBase(_ config: HeraldConfiguration, entries: [PluginDirectory.Entry]?) {
        let s = state.withLock { s in
            s.base = config
            if let entries { s.entries = entries }
            return s
        }
        let composed = Self.compose(base: s.base, entries: s.entries, derived: s.derived, withPlugins: withPlugins)
        apply(composed.config, composed.entries)
    }

    /// A valid derivation from MetalLB's objects; applied when it differs from the one in force. Returns whether it
    /// was applied.
    @discardableResult
    package func update(_ derived: MetalLBDerivation.Derived) -> Bool {
        let s: State? = state.withLock { s in
            guard s.derived.configuration != derived.configuration || s.derived.plugins != derived.plugins else {
                s.derived = derived
                return nil
            }
            s.derived = derived
            return s
        }
        guard let s else { return false }
        let composed = Self.compose(base: s.base, entries: s.entries, derived: s.derived, withPlugins: withPlugins)
        apply(composed.config, composed.entries)
        return true
    }

    /// herald.yaml with the derived pools and advertisements; plugins.d with the derived instances.
    ///
    /// A plugins.d instance with a derived instance's name (`arp`, `ndp`, `bgp`) complements it: its file keeps its
    /// `enabled`, isolation, limits and timeouts, and its `config` keys stay unless the derivation sets the same
    /// top-level key (MetalLB's fields win: `myASN`, `routerID`, `peers`, `bfdProfiles` for BGP; layer 2 sets none,
    /// so `interfaces` and timers come from plugins.d). The library is the derived one.
    package static func compose(
        base: HeraldConfiguration, entries: [PluginDirectory.Entry], derived: MetalLBDerivation.Derived,
        withPlugins: Bool
    ) -> (config: HeraldConfiguration, entries: [PluginDirectory.Entry]) {
        var config = base
        config.pools = derived.configuration.pools
        config.advertisements = derived.configuration.advertisements
        config.warnings = base.warnings + derived.configuration.warnings
        guard withPlugins else { return (config, entries) }
        let names = Set(derived.plugins.map(\.name))
        var composed: [PluginDirectory.Entry] = []
        var complements: [String: (file: String, spec: PluginInstanceSpec)] = [:]
        for entry in entries {
            guard let name = entry.declaredName, names.contains(name) else {
                composed.append(entry)
                continue
            }
            // An invalid file of that name complements nothing; its problems were reported when it was read.
            if case .success(let spec) = entry.spec { complements[name] = (entry.file, spec) }
        }
        for plugin in derived.plugins {
            guard let complement = complements[plugin.name] else {
                composed.append(PluginDirectory.Entry(file: plugin.file, spec: .success(plugin)))
                continue
            }
            var spec = complement.spec
            spec.library = plugin.library
            spec.configJSON = merged(complement.spec.configJSON, plugin.configJSON)
            composed.append(PluginDirectory.Entry(file: complement.file, spec: .success(spec)))
        }
        return (config, composed)
    }

    /// `base`'s keys with `over`'s keys on top (both JSON objects; a non-object is taken as empty).
    package static func merged(_ base: String, _ over: String) -> String {
        func object(_ text: String) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        }
        let result = object(base).merging(object(over)) { _, derived in derived }
        guard let data = try? JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]) else {
            return over
        }
        return String(decoding: data, as: UTF8.self)
    }
}
