import HeraldL2
import PluginKit

// The `ndp` plugin (`libherald-ndp.so`): `L2Plugin` over the NDP responder. See `NDPResponder.pluginInfo` and
// `L2Configuration` for what it does and the keys it takes.

private let exporter = PluginExporter(L2Plugin<NDPResponder>.self)

@c @implementation
public func herald_plugin_entry_v1(_ major: UInt32, _ minor: UInt32) -> UnsafePointer<herald_plugin_descriptor>? {
    exporter.entry(hostMajor: major, hostMinor: minor)
}
