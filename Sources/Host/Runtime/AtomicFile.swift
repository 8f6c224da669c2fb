import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file replaced whole: written to a temporary beside it with its final mode from the start (a password file never
/// exists with a wider mode, even for a moment), synced, then renamed over the old one.
package enum AtomicFile {
    package struct WriteError: Error, CustomStringConvertible {
        package var description: String
    }

    package static func write(_ text: String, to path: String, mode: mode_t) throws(WriteError) {
        let temporary = "\(path).tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else {
            throw WriteError(description: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var bytes = Array(text.utf8)
        var offset = 0
        let written = bytes.withUnsafeMutableBytes { raw -> Bool in
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        let synced = written && fchmod(fd, mode) == 0 && fsync(fd) == 0
        let reason = String(cString: strerror(errno))
        guard close(fd) == 0, synced else {
            unlink(temporary)
            throw WriteError(description: "cannot write \(path): \(reason)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WriteError(description: "cannot write \(path): \(reason)")
        }
    }
}
