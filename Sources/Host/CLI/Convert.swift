import ArgumentParser
import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldMetalLB
import HeraldRuntime

#if canImport(Glibc)
    import Glibc
#endif

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert MetalLB's configuration to herald.yaml and plugins.d.",
        discussion: """
            Reads MetalLB's custom resources (metallb.io: IPAddressPool, L2Advertisement, BGPAdvertisement, BGPPeer, \
            BFDProfile, Community; any number of documents per file), MetalLB's legacy ConfigMap (data.config), and \
            the Secrets BGPPeers name (their password key only). \
            Every field that cannot be expressed in Herald is reported as file:line:column: warning: … on stderr and \
            listed at the top of herald.yaml. Exits 1, writing nothing, when the input is not valid MetalLB \
            configuration (and 2 if the files made fail Herald's own checks, a fault of the conversion).

            With --output DIR, writes DIR/herald.yaml, DIR/plugins.d/NAME.yaml, and DIR/bgp-PEER.password (mode \
            0600) for each BGP password the input holds; the plugin files name the password files by their \
            absolute paths, so convert straight into the folder Herald will read (e.g. --output /etc/herald). \
            Without --output, prints the files to stdout, each after a "# file: NAME" line, separated by ---, and \
            writes no password anywhere.
            """)

    @Option(name: .long, help: "The folder to write herald.yaml, plugins.d/ and password files to.")
    var output: String?

    @Argument(help: "MetalLB manifests (YAML); - reads stdin.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one MetalLB manifest") }
    }

    func run() throws {
        var objects = MetalLBConfiguration()
        var diagnostics: [Diagnostic] = []
        for file in files {
            switch Self.read(file) {
            case .success(let text):
                let (read, problems) = MetalLBManifests.parse(text, file: file == "-" ? "<stdin>" : file)
                objects.append(read)
                diagnostics += problems
            case .failure(let problem):
                diagnostics.append(problem)
            }
        }
        let directory = output.map(Self.absolute)
        var conversion: Conversion?
        if !diagnostics.contains(where: { $0.severity == .error }) {
            var converted = MetalLBDerivation.translate(
                objects, reading: diagnostics, passwordDirectory: directory ?? "/etc/herald")
            if directory == nil {
                // Printed files never hold a password: each one is left for the operator to write.
                for file in converted.passwordFiles {
                    converted.diagnostics.append(
                        Diagnostic(
                            file.location,
                            "\(file.peer): the password is not written without --output: write it to \(file.path) "
                                + "(mode 0600) before Herald starts", severity: .warning))
                }
                converted.passwordFiles = []
            }
            // What reading left out (unknown fields, other kinds) is listed in herald.yaml too.
            converted.diagnostics.sort { $0.location < $1.location }
            diagnostics = converted.diagnostics
            conversion = converted
        }
        for diagnostic in diagnostics.sorted(by: { $0.location < $1.location }) { printError(diagnostic.description) }
        let errors = diagnostics.filter { $0.severity == .error }.count
        guard errors == 0, let conversion else {
            printError("\(errors) problem\(errors == 1 ? "" : "s") found; nothing written")
            throw ExitCode(1)
        }
        let rendered: [HeraldFiles.File]
        switch MetalLBDerivation.render(conversion, sources: files.map { $0 == "-" ? "<stdin>" : $0 }) {
        case .success(let derived):
            rendered = derived.files
        case .failure(let problems):
            // The generated files must be what Herald reads: a failure here is a fault of the conversion.
            for problem in problems.diagnostics { printError("internal error: the converted \(problem)") }
            throw ExitCode(2)
        }
        if let directory {
            try write(rendered, conversion.passwordFiles, to: directory)
        } else {
            for (index, file) in rendered.enumerated() {
                if index > 0 { print("---") }
                print("# file: \(file.path)")
                print(file.text, terminator: "")
            }
        }
        let warnings = conversion.warnings.count
        printError(
            "converted: \(conversion.configuration.pools.count) pools, "
                + "\(conversion.configuration.advertisements.count) advertisements, "
                + "\(conversion.plugins.count) plugin instances; "
                + (warnings == 0 ? "every field converted" : "\(warnings) not converted (warnings above)"))
    }

    func write(_ files: [HeraldFiles.File], _ passwords: [PasswordFile], to directory: String) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: "\(directory)/plugins.d", withIntermediateDirectories: true)
            for file in files {
                try AtomicFile.write(file.text, to: "\(directory)/\(file.path)", mode: 0o644)
                printError("wrote \(directory)/\(file.path)")
            }
            for password in passwords {
                try AtomicFile.write(password.password, to: password.path, mode: 0o600)
                printError("wrote \(password)")
            }
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }

    static func read(_ file: String) -> Result<String, Diagnostic> {
        let at = SourceLocation(file: file == "-" ? "<stdin>" : file, line: 1, column: 1)
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else {
                let reason = FileManager.default.fileExists(atPath: file) ? "cannot be read" : "does not exist"
                return .failure(Diagnostic(at, "the file \(reason)"))
            }
            data = contents
        }
        let bytes = [UInt8](data)
        if let offset = TextPosition.firstInvalidUTF8(bytes) {
            let (line, column) = TextPosition.of(byte: offset, in: bytes)
            return .failure(
                Diagnostic(SourceLocation(file: at.file, line: line, column: column), "the file is not UTF-8 text"))
        }
        return .success(String(decoding: bytes, as: UTF8.self))
    }

    static func absolute(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.standardizedFileURL.path
    }
}
