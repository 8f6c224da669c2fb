/// A `plugins.d` folder: every `*.yaml` / `*.yml` file, in lexical order of file name. The entries are values here
/// (the plugin host takes them); reading the folder is `HeraldRuntime`'s, parsing a file `HeraldConfig`'s.
package enum PluginDirectory {
    package struct Entry: Sendable {
        package var file: String
        package var spec: Result<PluginInstanceSpec, ConfigErrors>
        /// The instance name the file declares, also when the file is invalid (to say "its file is invalid" rather
        /// than "not in plugins.d" when something refers to it).
        package var declaredName: String?

        package init(file: String, spec: Result<PluginInstanceSpec, ConfigErrors>, declaredName: String? = nil) {
            self.file = file
            self.spec = spec
            self.declaredName = declaredName ?? (try? spec.get())?.name
        }
    }
}
