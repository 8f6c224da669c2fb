import Foundation
import HeraldBGP
import HeraldTestSupport
import Testing

/// The TCP MD5 password file: its owner and mode are checked, and a change is noticed so that the file is read again.
@Suite struct PasswordFileTests {
    let dir: String

    init() throws { dir = try TestSupport.temporaryDirectory("herald-bgp-password") }

    func status(_ path: String) throws -> PasswordFile.Status {
        var st = stat()
        try #require(stat(path, &st) == 0)
        // The plugin's own conversion (PasswordFileReader) is exercised by the BIRD lab's MD5 sessions.
        return PasswordFile.Status(
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
            modified: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
            changed: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec), owner: st.st_uid,
            mode: st.st_mode)
    }

    func write(_ name: String, _ text: String, mode: mode_t = 0o600) throws -> String {
        let path = "\(dir)/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, mode)
        return path
    }

    @Test func aFileOnlyItsOwnerMayAccessIsAccepted() throws {
        let path = try write("r1.password", "secret\n")
        #expect(PasswordFile.problem(try status(path), processUID: geteuid()) == nil)
        chmod(path, 0o400)
        #expect(PasswordFile.problem(try status(path), processUID: geteuid()) == nil)
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o606])
    func aFileOthersMayAccessIsRefused(mode: Int) throws {
        let path = try write("r1.password", "secret\n", mode: mode_t(mode))
        #expect(
            PasswordFile.problem(try status(path), processUID: geteuid())
                == "group or others may access it (mode \(String(mode, radix: 8))); run chmod 600 on it (for a "
                + "Kubernetes Secret volume, defaultMode: 0400)")
    }

    @Test func aFileOfAnotherUserIsRefused() throws {
        let path = try write("r1.password", "secret\n")
        var file = try status(path)
        file.owner = 4242
        #expect(
            PasswordFile.problem(file, processUID: 1000)
                == "owned by uid 4242, not by root or uid 1000; run chown root on it")
        file.owner = 1000
        #expect(PasswordFile.problem(file, processUID: 1000) == nil)
        file.owner = 0
        #expect(PasswordFile.problem(file, processUID: 1000) == nil)
    }

    @Test func aFolderIsNotAPasswordFile() throws {
        #expect(PasswordFile.problem(try status(dir), processUID: geteuid()) == "not a regular file")
    }

    @Test func aRewriteAReplacementAndAChmodAreChanges() throws {
        let path = try write("r1.password", "secret\n")
        let first = try status(path)
        #expect(PasswordFile.needsReading(first, last: nil))
        #expect(!PasswordFile.needsReading(try status(path), last: first))
        // Replaced by a new file (how editors and Kubernetes Secret volumes update it).
        _ = try write("r1.password", "other\n")
        let replaced = try status(path)
        #expect(PasswordFile.needsReading(replaced, last: first))
        // Rewritten in place, same length.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        usleep(10_000)
        try handle.write(contentsOf: Data("OTHER\n".utf8))
        try handle.close()
        let rewritten = try status(path)
        #expect(PasswordFile.needsReading(rewritten, last: replaced))
        // Its mode changed: read again (and checked again).
        usleep(10_000)
        chmod(path, 0o644)
        #expect(PasswordFile.needsReading(try status(path), last: rewritten))
    }

    @Test func theKeyDropsLineEndsAndMustFit() throws {
        #expect(try PasswordFile.key(Array("secret\r\n".utf8), maxLength: 80).get() == Array("secret".utf8))
        #expect(throws: PasswordFile.KeyProblem(maxLength: 80)) {
            try PasswordFile.key(Array("\n".utf8), maxLength: 80).get()
        }
        #expect(throws: PasswordFile.KeyProblem(maxLength: 4)) {
            try PasswordFile.key(Array("12345".utf8), maxLength: 4).get()
        }
    }
}
