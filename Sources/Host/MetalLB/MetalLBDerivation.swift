import HeraldConfig
import HeraldConfigModel
import HeraldCore

/// The one path from MetalLB's objects to what Herald runs, for `herald convert` and for the live source of
/// `herald run --metallb-namespace`: ``MetalLBTranslation`` gives a ``Conversion``, ``HeraldFiles`` writes it as the
/// files Herald reads, and Herald's own parsers read those files back. What runs is what a conversion's files say.
package enum MetalLBDerivation {
    /// A conversion that Herald reads: the files, and what its parsers make of them.
    package struct Derived: Sendable, Equatable {
        package var conversion: Conversion
        package var files: [HeraldFiles.File]
        /// herald.yaml's pools and advertisements, as `ConfigParser` reads them from ``files``.
        package var configuration: HeraldConfiguration
        /// The plugin instances, as plugins.d reads them from ``files``.
        package var plugins: [PluginInstanceSpec]
    }

    /// Translates `objects`; `reading` are the problems met while reading them (unknown fields, other kinds), merged
    /// into the conversion's diagnostics by place.
    package static func translate(
        _ objects: MetalLBConfiguration, reading: [Diagnostic] = [], passwordDirectory: String,
        secretsNamespace: String? = nil
    ) -> Conversion {
        var conversion = MetalLBTranslation.translate(
            objects, passwordDirectory: passwordDirectory, secretsNamespace: secretsNamespace)
        conversion.diagnostics = (reading + conversion.diagnostics).sorted { $0.location < $1.location }
        return conversion
    }

    /// Writes `conversion` as files and reads them back as Herald does. A failure here is a fault of the conversion
    /// (what it wrote is not what Herald reads): every problem is returned, each naming the written file.
    ///
    /// - Parameter filePrefix: put before each file's path in what the parsers report (`metallb:` for the live
    ///   source, whose files are never on disk).
    package static func render(
        _ conversion: Conversion, sources: [String], filePrefix: String = ""
    ) -> Result<Derived, ConfigErrors> {
        let files = HeraldFiles.render(conversion, sources: sources)
        var problems: [Diagnostic] = []
        var plugins: [PluginInstanceSpec] = []
        for file in files where file.path != "herald.yaml" {
            switch PluginInstanceSpec.parse(file.text, file: filePrefix + file.path) {
            case .success(let spec): plugins.append(spec)
            case .failure(let errors): problems += errors.diagnostics
            }
        }
        var configuration = HeraldConfiguration()
        if let config = files.first(where: { $0.path == "herald.yaml" }) {
            let names = Set(conversion.plugins.map(\.name))
            switch ConfigParser.parse(config.text, file: filePrefix + config.path, pluginInstances: names) {
            case .success(let parsed): configuration = parsed
            case .failure(let errors): problems += errors.diagnostics
            }
        }
        guard problems.isEmpty else { return .failure(ConfigErrors(problems)) }
        return .success(
            Derived(conversion: conversion, files: files, configuration: configuration, plugins: plugins))
    }
}
