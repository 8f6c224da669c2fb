import PluginKit

// Placeholder until the plugin lands: refuses every host.
@c @implementation
public func herald_plugin_entry_v1(_ major: UInt32, _ minor: UInt32) -> UnsafePointer<herald_plugin_descriptor>? {
    nil
}
