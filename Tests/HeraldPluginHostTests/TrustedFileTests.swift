import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldRuntime
import HeraldTestSupport
import Testing

@testable import HeraldPluginHost

/// herald.yaml and plugins.d files are trusted like plugin libraries: owner, mode and every folder above them.
@Suite struct TrustedFileTests {
    let dir: String

    init() throws { dir = try TestSupport.temporaryDirectory("herald-trust") }

    func write(_ name: String, _ text: String = "name: log\nlibrary: herald-log\n") throws -> String {
        let path = "\(dir)/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        return path
    }

    func problem(_ path: String) -> String? {
        if case .failure(let diagnostic) = PluginDirectory.readText(path) { return diagnostic.description }
        return nil
    }

    @Test func aFileOfRootOrTheUserWritableByNoOneElseIsRead() throws {
        let path = try write("herald.yaml")
        #expect(problem(path) == nil)
        chmod(path, 0o600)
        #expect(problem(path) == nil)
    }

    @Test func aFileWritableByGroupOrOthersIsRefused() throws {
        let path = try write("herald.yaml")
        chmod(path, 0o666)
        #expect(
            problem(path)
                == "\(path):1:1: error: refused: writable by group or others (mode 666), and it chooses what Herald "
                + "runs with its privileges (run chmod go-w on it)")
        chmod(path, 0o664)
        #expect(problem(path)?.contains("mode 664") == true)
    }

    /// Needs root to give the file away; the test command runs as root.
    @Test func aFileOwnedByAnotherUserIsRefused() throws {
        try #require(geteuid() == 0, "this test must run as root (scripts/test does) to chown a file")
        let path = try write("herald.yaml")
        #expect(chown(path, 4242, 4242) == 0)
        #expect(
            problem(path)
                == "\(path):1:1: error: refused: owned by uid 4242, not by uid 0 or root, and it chooses what Herald "
                + "runs with its privileges (run chown root on it, or chown 0)")
    }

    @Test func aFolderOthersMayWriteIsRefusedUnlessStickyAndOwnedByRoot() throws {
        let open = "\(dir)/open"
        #expect(mkdir(open, 0o755) == 0)
        chmod(open, 0o777)
        let path = "\(open)/10-log.yaml"
        try "name: log\nlibrary: herald-log\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        #expect(
            problem(path)
                == "\(path):1:1: error: refused: the folder \(open) is writable by group or others (mode 777) and not "
                + "a sticky folder owned by root, so others could replace the file, and it chooses what Herald runs "
                + "with its privileges (run chmod go-w on the folder)")
        // Sticky and owned by root (or by the user running Herald when that is root), like /tmp: accepted.
        if geteuid() == 0 {
            chmod(open, 0o1777)
            #expect(problem(path) == nil)
        }
    }

    @Test func aFolderOwnedByAnotherUserIsRefused() throws {
        try #require(geteuid() == 0, "this test must run as root (scripts/test does) to chown a folder")
        let foreign = "\(dir)/foreign"
        #expect(mkdir(foreign, 0o755) == 0)
        let path = "\(foreign)/herald.yaml"
        try "pools: []\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        #expect(chown(foreign, 4242, 4242) == 0)
        #expect(problem(path)?.contains("refused: the folder \(foreign) is owned by uid 4242") == true)
    }

    /// A symbolic link in a folder others may write can be replaced, whatever it points to.
    @Test func aLinkInAFolderOthersMayWriteIsRefused() throws {
        let target = try write("real.yaml")
        let open = "\(dir)/open"
        #expect(mkdir(open, 0o755) == 0)
        chmod(open, 0o777)
        #expect(symlink(target, "\(open)/herald.yaml") == 0)
        #expect(problem("\(open)/herald.yaml")?.contains("the folder \(open) is writable by group or others") == true)
        #expect(problem(target) == nil)
    }

    /// A refused plugins.d file is one bad file among the others: its entry carries the problem, the rest are read.
    @Test func aRefusedPluginsFileIsOneBadEntry() throws {
        let good = try write("10-good.yaml", "name: good\nlibrary: herald-log\n")
        let bad = try write("20-bad.yaml", "name: hook\nlibrary: herald-exec\n")
        chmod(bad, 0o646)
        let entries = try PluginDirectory.read(dir)
        #expect(entries.map(\.file) == [good, bad])
        #expect((try? entries[0].spec.get())?.name == "good")
        guard case .failure(let errors) = entries[1].spec else {
            Issue.record("a world-writable plugins.d file was read")
            return
        }
        #expect(errors.description.hasPrefix("\(bad):1:1: error: refused: writable by group or others (mode 646)"))
    }

    @Test func libraryProblemsStillNameTheLibrary() throws {
        let path = try write("libx.so", "not a library")
        chmod(path, 0o666)
        #expect(throws: PluginLoadError.insecurePermissions(path: path, mode: UInt32(S_IFREG) | 0o666)) {
            try PluginLoader.checkFile(path)
        }
    }
}
