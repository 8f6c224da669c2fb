import HeraldConfigModel

extension PluginDirectory.Entry {
    /// Reads an entry from a file's text.
    package init(file: String, text: String) {
        let spec = PluginInstanceSpec.parse(text, file: file)
        let declared: String?
        if case .success(let s) = spec {
            declared = s.name
        } else {
            declared = PluginInstanceSpec.declaredName(text)
        }
        self.init(file: file, spec: spec, declaredName: declared)
    }
}

extension PluginDirectory {
    /// The index advertisements are checked against: enabled, disabled and invalid files by instance name.
    package static func index(_ entries: [Entry]) -> PluginInstanceIndex {
        PluginInstanceIndex(entries.map { ($0.file, $0.spec, $0.declaredName) })
    }
}
