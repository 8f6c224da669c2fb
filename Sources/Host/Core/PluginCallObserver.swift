/// Told about every call into a plugin instance: how long the plugin took and whether the call failed. The host's
/// status metrics implement it (`herald_plugin_call_duration_seconds`, `herald_plugin_call_failures_total`).
///
/// Called on the thread that made or ran the call, with no lock of the instance held; it must not block.
public protocol PluginCallObserver: Sendable {
    /// One call of kind `call` (`announce`, `withdraw`, `health`, …) into instance `instance` of plugin `plugin`:
    /// `duration` is the time spent in the plugin, nil when it is not known (a call that did not return in time, or
    /// one of a pipelined run in a plugin runner); `failed` when the call returned an error or did not return.
    func pluginCall(instance: String, plugin: String, call: String, duration: Duration?, failed: Bool)
}
