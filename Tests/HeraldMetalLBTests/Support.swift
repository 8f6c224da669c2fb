import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldMetalLB
import HeraldTestSupport

/// The MetalLB fixtures (Tests/Fixtures/MetalLB), read and converted, and the conversion read back by Herald's own
/// parsers.
enum Fixture {
    static let folder = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/MetalLB").path

    struct Result {
        var objects: MetalLBConfiguration
        /// What reading said (errors and warnings).
        var read: [Diagnostic]
        var conversion: Conversion

        var warnings: [String] { (read + conversion.diagnostics).filter { $0.severity == .warning }.map(\.description) }
        var errors: [String] { (read + conversion.diagnostics).filter { $0.severity == .error }.map(\.description) }
        var config: HeraldConfiguration { conversion.configuration }

        func advertisement(_ name: String) -> Advertisement? { config.advertisements.first { $0.name == name } }
        func speaker(_ name: String) -> BGPSpeakerConfig? {
            for plugin in conversion.plugins where plugin.name == name {
                if case .bgp(let speaker) = plugin.kind { return speaker }
            }
            return nil
        }
    }

    /// A fixture file, named by its file name in every place.
    static func convert(_ name: String) throws -> Result {
        convert(text: try String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8), file: name)
    }

    static func convert(text: String, file: String = "input.yaml") -> Result {
        let (objects, read) = MetalLBManifests.parse(text, file: file)
        // As `herald convert` does: invalid objects are not translated.
        let valid = !read.contains { $0.severity == .error }
        return Result(
            objects: objects, read: read, conversion: valid ? MetalLBTranslation.translate(objects) : Conversion())
    }

    /// The files of a conversion, parsed as `herald check` parses them: every plugins.d file, and herald.yaml against
    /// their instance names.
    static func readBack(
        _ conversion: Conversion
    ) throws -> (config: HeraldConfiguration, plugins: [PluginInstanceSpec]) {
        let files = HeraldFiles.render(conversion, sources: ["fixture"])
        var plugins: [PluginInstanceSpec] = []
        for file in files where file.path != "herald.yaml" {
            plugins.append(try PluginInstanceSpec.parse(file.text, file: file.path).get())
        }
        let text = files.first { $0.path == "herald.yaml" }?.text ?? ""
        let config = try ConfigParser.parse(text, file: "herald.yaml", pluginInstances: Set(plugins.map(\.name))).get()
        return (config, plugins)
    }
}
