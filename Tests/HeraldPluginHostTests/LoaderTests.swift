import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldCore
import HeraldRuntime
import HeraldTestSupport
import Logging
import Testing

@testable import HeraldPluginHost

/// Each loader failure, asserted by its exact error.
@Suite struct LoaderTests {
    let dir: String
    let loader: PluginLoader

    init() throws {
        dir = try TestSupport.temporaryDirectory("herald-loader")
        loader = PluginLoader(searchPath: [dir])
    }

    func fixture(_ name: String, _ defines: [String] = []) throws -> String {
        let path = "\(dir)/\(name)"
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: path, defines: defines)
        return path
    }

    func loadError(_ path: String) -> PluginLoadError? {
        do {
            _ = try loader.load(path: path)
            return nil
        } catch {
            return error
        }
    }

    @Test func loadsAValidPluginOnce() throws {
        let path = try fixture("libgood.so")
        let first = try loader.load(path: path)
        let second = try loader.load(path: path)
        #expect(first === second)
        #expect(first.info.id == "dev.herald.test.fixture")
        #expect(first.info.abiMajor == 1)
        #expect(first.info.kind == .routed)
        #expect(first.info.protocols == ["test"])
        #expect(try loader.resolve("good", baseDirectory: nil) == path)
    }

    @Test func missingFile() {
        #expect(throws: PluginLoadError.notFound(library: "nope", searched: [dir])) {
            try loader.resolve("nope", baseDirectory: nil)
        }
        #expect(throws: PluginLoadError.notFound(library: "./nope.so", searched: ["\(dir)/./nope.so"])) {
            try loader.resolve("./nope.so", baseDirectory: dir)
        }
    }

    @Test func notAnELF() throws {
        let path = "\(dir)/libtext.so"
        try "#!/bin/sh\necho not a plugin\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        #expect(loadError(path) == .notELF(path: path))
        #expect(loadError(path)?.description == "\(path): not an ELF shared object")
    }

    @Test func truncatedELFIsReportedByTheDynamicLoader() throws {
        let good = try fixture("libfull.so")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good)).prefix(200)
        let path = "\(dir)/libtruncated.so"
        try bytes.write(to: URL(fileURLWithPath: path))
        chmod(path, 0o644)
        guard case .dlopenFailed(let p, let message) = loadError(path) else {
            Issue.record("expected dlopenFailed, got \(String(describing: loadError(path)))")
            return
        }
        #expect(p == path)
        #expect(!message.isEmpty)
    }

    @Test func missingEntrySymbol() throws {
        let path = try fixture("libnoentry.so", ["FIXTURE_NO_ENTRY"])
        #expect(loadError(path) == .missingEntry(path: path))
    }

    @Test func entryReturnsNull() throws {
        let path = try fixture("libnull.so", ["FIXTURE_NULL_ENTRY"])
        #expect(loadError(path) == .entryRefused(path: path))
    }

    @Test func abiMajorMismatch() throws {
        let path = try fixture("libmajor2.so", ["FIXTURE_MAJOR=2"])
        #expect(loadError(path) == .abiMajorMismatch(path: path, plugin: 2, host: 1))
        #expect(
            loadError(path)?.description
                == "\(path): built for plugin ABI 2.x, this host speaks 1.x; rebuild the plugin")
    }

    /// A plugin built against an older minor has smaller structs: fields past its struct_size must be treated as
    /// absent (the fixture puts garbage there), and it must work.
    @Test func olderMinorWithSmallerStructsLoadsAndWorks() throws {
        let path = try fixture("libold.so", ["FIXTURE_OLD_MINOR"])
        let library = try loader.load(path: path)
        #expect(library.info.abiMinor == 0)
        #expect(library.factoryContext == nil)
        #expect(!library.hasSlot(\.get_extension))
        let record = "\(dir)/old.record"
        let instance = try PluginInstance(name: "old", library: library, logger: Logger(label: "test"))
        try instance.configure(json: "{\"record\":\"\(record)\"}", node: LocalNode(name: "n1"))
        try instance.start()
        try instance.announce(
            PlannedAnnouncement(
                id: "a", address: .v4(.init(192, 0, 2, 1)), prefixLength: 32, services: ["x/y"], advertisement: "ad"))
        #expect(instance.extensionPointer("herald.anything/1") == nil)
        instance.destroy()
        let lines = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n")
        #expect(
            lines == [
                "configure node=n1", "start", "announce a 192.0.2.1/32 services=1", "withdraw a", "stop", "destroy",
            ])
    }

    @Test func newerMinorWithLargerStructsLoads() throws {
        let path = try fixture("libnewer.so", ["FIXTURE_NEWER_MINOR"])
        let library = try loader.load(path: path)
        #expect(library.info.abiMinor == 7)
        #expect(library.hasSlot(\.get_extension))
    }

    @Test func duplicateID() throws {
        let first = try fixture("libfirst.so", ["FIXTURE_ID=\"dev.example.same\""])
        let second = try fixture("libsecond.so", ["FIXTURE_ID=\"dev.example.same\""])
        _ = try loader.load(path: first)
        #expect(loadError(second) == .duplicateID(path: second, id: "dev.example.same", firstPath: first))
    }

    @Test func worldAndGroupWritableFilesAreRefused() throws {
        let world = try fixture("libworld.so")
        chmod(world, 0o757)
        #expect(loadError(world) == .insecurePermissions(path: world, mode: UInt32(S_IFREG) | 0o757))
        #expect(loadError(world)?.description.contains("mode 757") == true)
        let group = try fixture("libgroup.so")
        chmod(group, 0o775)
        #expect(loadError(group) == .insecurePermissions(path: group, mode: UInt32(S_IFREG) | 0o775))
    }

    /// Needs root to give the file away; the test command runs as root.
    @Test func fileOwnedByAnotherUserIsRefused() throws {
        try #require(geteuid() == 0, "this test must run as root (scripts/test does) to chown a file")
        let path = try fixture("libother.so")
        #expect(chown(path, 4242, 4242) == 0)
        #expect(loadError(path) == .wrongOwner(path: path, owner: 4242, expected: 0))
    }
}

/// plugins.d handling: bad files are reported with file:line:column and never stop the good ones.
@Suite struct PluginDirectoryTests {
    @Test func badFilesAreReportedAndTheRestLoads() throws {
        let dir = try TestSupport.temporaryDirectory("herald-pluginsd")
        let libs = try TestSupport.temporaryDirectory("herald-libs")
        try TestSupport.compilePlugin(source: "fixture_plugin.c", output: "\(libs)/libfixture.so")
        let files = [
            "10-good.yaml": "name: good\nlibrary: fixture\n",
            "20-badyaml.yaml": "name: [broken\n",
            "30-unknown.yaml": "name: u\nlibrary: fixture\nconfgi: {}\n",
            "40-type.yaml": "name: t\nlibrary: fixture\nenabled: 3\n",
            "50-dup.yaml": "name: good\nlibrary: fixture\n",
            "60-missing.yaml": "name: m\nlibrary: does-not-exist\n",
            "70-off.yaml": "name: dormant\nlibrary: does-not-exist\nenabled: false\n",
            "80-config.yaml": "name: picky\nlibrary: fixture\nconfig: {fail: true}\n",
            "notes.txt": "ignored: not yaml\n",
        ]
        for (name, text) in files { try text.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8) }
        let entries = try PluginDirectory.read(dir)
        #expect(
            entries.map { URL(fileURLWithPath: $0.file).lastPathComponent }
                == files.keys.filter { $0.hasSuffix(".yaml") }.sorted())
        let set = PluginSet.make(
            entries: entries, directory: dir, loader: PluginLoader(searchPath: [libs]), node: LocalNode(name: "n"),
            logger: Logger(label: "test"))
        #expect(set.instances.map(\.name) == ["good"])
        #expect(set.switchedOff.map(\.name) == ["dormant"])
        let problems = set.problems.map(\.description)
        #expect(problems.count == 6)
        #expect(problems[0].hasPrefix("\(dir)/20-badyaml.yaml:2:1: error: invalid YAML:"))
        #expect(
            problems[1]
                == "\(dir)/30-unknown.yaml:3:1: error: unknown key \"confgi\" in the plugin instance (did you mean \"config\"?)"
        )
        #expect(
            problems[2]
                == "\(dir)/40-type.yaml:3:10: error: enabled must be true or false, found an integer (3)")
        #expect(
            problems[3]
                == "\(dir)/50-dup.yaml:1:7: error: instance \"good\": refused: the instance name is already used by \(dir)/10-good.yaml"
        )
        #expect(
            problems[4]
                == "\(dir)/60-missing.yaml:2:10: error: instance \"m\": plugin library \"does-not-exist\" not found (searched: \(libs))"
        )
        #expect(
            problems[5]
                == "\(dir)/80-config.yaml:3:16: error: instance \"picky\": configure failed (configuration rejected): config.fail: asked to fail"
        )
        set.shutdown()
        #expect(set.instances.allSatisfy { $0.phase == .destroyed })
    }
}
