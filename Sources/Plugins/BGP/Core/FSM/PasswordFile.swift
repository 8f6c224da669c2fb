/// The TCP MD5 password file of a peer (`passwordFile`): what makes it acceptable and when it must be read again.
/// Pure: the plugin gives it the file's status (from `fstat`/`stat`) and bytes.
package enum PasswordFile {
    /// What `stat` says of the file, as far as trust and change go.
    package struct Status: Equatable, Sendable {
        package var device: UInt64
        package var inode: UInt64
        package var size: Int64
        /// Modification and status-change times, in nanoseconds: a rewrite changes the first, a `chmod` or `chown`
        /// the second, and a Kubernetes Secret update (a new file behind a swapped symbolic link) the inode.
        package var modified: Int64
        package var changed: Int64
        package var owner: UInt32
        /// The whole `st_mode`.
        package var mode: UInt32

        package init(
            device: UInt64, inode: UInt64, size: Int64, modified: Int64, changed: Int64, owner: UInt32, mode: UInt32
        ) {
            self.device = device
            self.inode = inode
            self.size = size
            self.modified = modified
            self.changed = changed
            self.owner = owner
            self.mode = mode
        }
    }

    /// Why the file is refused, in words with the fix, or nil: it must be a regular file owned by root or by the
    /// user Herald runs as, readable and writable by no one else (a password others can read is no secret, one
    /// others can write lets them choose it).
    package static func problem(_ status: Status, processUID: UInt32) -> String? {
        guard status.mode & 0o170000 == 0o100000 else { return "not a regular file" }
        guard status.owner == 0 || status.owner == processUID else {
            return "owned by uid \(status.owner), not by root or uid \(processUID); run chown root on it"
        }
        guard status.mode & 0o077 == 0 else {
            return
                "group or others may access it (mode \(String(status.mode & 0o7777, radix: 8))); run chmod 600 on it "
                + "(for a Kubernetes Secret volume, defaultMode: 0400)"
        }
        return nil
    }

    /// The file must be read again: it is not the file last read (`last` nil: never read).
    package static func needsReading(_ current: Status, last: Status?) -> Bool { current != last }

    /// The key a file's bytes give (trailing line ends dropped), or why there is none.
    package static func key(_ bytes: [UInt8], maxLength: Int) -> Result<[UInt8], KeyProblem> {
        var bytes = bytes
        while let last = bytes.last, last == 10 || last == 13 { bytes.removeLast() }
        guard (1...maxLength).contains(bytes.count) else { return .failure(KeyProblem(maxLength: maxLength)) }
        return .success(bytes)
    }

    package struct KeyProblem: Error, Equatable, CustomStringConvertible {
        package var maxLength: Int
        package init(maxLength: Int) { self.maxLength = maxLength }
        package var description: String { "the password must be 1...\(maxLength) bytes" }
    }
}
