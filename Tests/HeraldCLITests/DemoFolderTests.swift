import Foundation
import HeraldTestSupport
import Testing

/// The embedded demo writes its manifests to `$TMPDIR/herald-demo-UID/`: a folder there that another user owns, or a
/// symbolic link, is refused.
@Suite struct DemoFolderTests {
    let herald: String
    let dir: String

    init() throws {
        herald = try TestSupport.product("herald")
        dir = try TestSupport.temporaryDirectory("herald-demo-folder")
    }

    func plan() throws -> TestSupport.Output {
        try TestSupport.run(
            [herald, "plan"],
            environment: ProcessInfo.processInfo.environment.merging(["TMPDIR": dir]) { _, new in new },
            directory: dir)
    }

    @Test func itsOwnFolderIsUsed() throws {
        let out = try plan()
        #expect(out.status == 0)
        #expect(FileManager.default.fileExists(atPath: "\(dir)/herald-demo-\(getuid())/20-services.yaml"))
    }

    @Test func aFolderOwnedByAnotherUserIsRefused() throws {
        try #require(geteuid() == 0, "this test must run as root (scripts/test does) to chown a folder")
        let demo = "\(dir)/herald-demo-\(getuid())"
        #expect(mkdir(demo, 0o755) == 0)
        #expect(chown(demo, 4242, 4242) == 0)
        let out = try plan()
        #expect(out.status != 0)
        #expect(
            out.stderr.contains(
                "\(demo): refused: the demo's folder is owned by uid 4242, not by you (uid \(getuid())), so its owner "
                    + "could change what Herald reads and writes there; remove it, or set TMPDIR to a folder of your own"
            ))
        #expect(!FileManager.default.fileExists(atPath: "\(demo)/20-services.yaml"))
    }

    @Test func aSymbolicLinkIsRefused() throws {
        let elsewhere = "\(dir)/elsewhere"
        #expect(mkdir(elsewhere, 0o755) == 0)
        let demo = "\(dir)/herald-demo-\(getuid())"
        #expect(symlink(elsewhere, demo) == 0)
        let out = try plan()
        #expect(out.status != 0)
        #expect(out.stderr.contains("\(demo): refused: the demo's folder is a symbolic link"))
        #expect(!FileManager.default.fileExists(atPath: "\(elsewhere)/20-services.yaml"))
    }
}
