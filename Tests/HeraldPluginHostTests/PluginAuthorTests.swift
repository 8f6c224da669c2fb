import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldTestSupport
import Testing

@testable import HeraldPluginHost

/// What a plugin author meets: the README's build line, an entry hidden by the build, folders others may write to.
@Suite struct PluginAuthorTests {
    let dir: String
    let loader: PluginLoader

    init() throws {
        dir = try TestSupport.temporaryDirectory("herald-author")
        loader = PluginLoader(searchPath: [dir])
    }

    func loadError(_ path: String) -> PluginLoadError? {
        do {
            _ = try loader.load(path: path)
            return nil
        } catch {
            return error
        }
    }

    /// The `cc …` command under "In C" in the README, continuation lines joined.
    static func readmeCBuild() throws -> String {
        let readme = try String(
            contentsOf: TestSupport.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "**In C**"))
        let rest = readme[section.upperBound...]
        let start = try #require(rest.range(of: "```sh\n"))
        let end = try #require(rest[start.upperBound...].range(of: "```"))
        return rest[start.upperBound..<end.lowerBound].replacingOccurrences(of: "\\\n", with: " ")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func theREADMEsCBuildLineMakesALoadablePlugin() throws {
        let command = try Self.readmeCBuild()
        #expect(command.hasPrefix("cc -std=c11 -O2 -shared -fPIC -fvisibility=hidden"))
        // Run exactly that line from a folder that sees the source tree as ./Sources, so its output lands here.
        try FileManager.default.createSymbolicLink(
            atPath: "\(dir)/Sources",
            withDestinationPath: TestSupport.packageRoot.appendingPathComponent("Sources").path)
        let out = try TestSupport.run(["/bin/sh", "-c", command], directory: dir)
        #expect(out.status == 0, "\(out.stderr)")
        let library = try loader.load(path: "\(dir)/libherald-exec.so")
        #expect(library.info.id == "dev.herald.exec")
    }

    @Test func anEntryWithoutAttributeIsExportedUnderHiddenVisibility() throws {
        // The fixture's entry definition has no attribute: the header's HERALD_PLUGIN_EXPORT declaration exports it.
        let path = "\(dir)/libplain.so"
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: path)
        #expect(try loader.load(path: path).info.id == "dev.herald.test.fixture")
    }

    @Test func anEntryHiddenByAVersionScriptIsNamedAsSuch() throws {
        let script = "\(dir)/hide-all.map"
        try "{ local: *; };\n".write(toFile: script, atomically: true, encoding: .utf8)
        let path = "\(dir)/libhidden.so"
        try TestSupport.compilePlugin(
            source: "fixture_plugin.c", output: path, extraArguments: ["-Wl,--version-script=\(script)"])
        #expect(loadError(path) == .hiddenEntry(path: path))
        #expect(
            loadError(path)?.description.contains(
                "herald_plugin_entry_v1 is defined but not exported: the library hides it, by hidden visibility")
                == true)
        // Stripped of its symbol table, nothing names the entry: the general message, which names the causes too.
        let stripped = "\(dir)/libstripped.so"
        try FileManager.default.copyItem(atPath: path, toPath: stripped)
        #expect(try TestSupport.run(["/usr/bin/strip", "--strip-all", stripped]).status == 0)
        #expect(loadError(stripped) == .missingEntry(path: stripped))
        #expect(loadError(stripped)?.description.contains("mark it HERALD_PLUGIN_EXPORT") == true)
    }

    @Test func foldersOthersMayWriteToAreRefused() throws {
        let open = "\(dir)/group-writable"
        try FileManager.default.createDirectory(atPath: "\(open)/inner", withIntermediateDirectories: true)
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: "\(open)/inner/libfx.so")
        chmod(open, 0o775)
        #expect(
            loadError("\(open)/inner/libfx.so")
                == .insecureDirectory(path: "\(open)/inner/libfx.so", directory: open, mode: UInt32(S_IFDIR) | 0o775))
        #expect(
            loadError("\(open)/inner/libfx.so")?.description
                == "\(open)/inner/libfx.so: refused: the folder \(open) is group- or world-writable (mode 775) and "
                + "not a sticky folder owned by root, so others could replace the library; run chmod go-w on it")

        // Sticky and owned by root, like /tmp: only a file's owner may replace it there.
        let sticky = "\(dir)/sticky"
        try FileManager.default.createDirectory(atPath: sticky, withIntermediateDirectories: true)
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: "\(sticky)/libfx.so")
        chmod(sticky, 0o1777)
        #expect(geteuid() == 0, "the test suite runs as root")
        #expect(loadError("\(sticky)/libfx.so") == nil)

        let foreign = "\(dir)/foreign"
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: "\(foreign)/libfx.so")
        chown(foreign, 4242, 4242)
        #expect(
            loadError("\(foreign)/libfx.so")
                == .wrongDirectoryOwner(path: "\(foreign)/libfx.so", directory: foreign, owner: 4242, expected: 0))
    }
}
