import HeraldBGP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads a peer's TCP MD5 password file under ``PasswordFile``'s rule, through POSIX calls.
enum PasswordFileReader {
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    /// The file's status now (symbolic links followed, as a Kubernetes Secret volume needs), or nil when it cannot
    /// be examined.
    static func status(of path: String) -> PasswordFile.Status? {
        var st = stat()
        return stat(path, &st) == 0 ? PasswordFile.Status(st) : nil
    }

    /// Opens the file, checks what was opened, and reads the key.
    static func load(_ path: String) throws(Refused) -> (key: [UInt8], status: PasswordFile.Status) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw Refused(description: "\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw Refused(description: "\(path): cannot examine: \(String(cString: strerror(errno)))")
        }
        let status = PasswordFile.Status(st)
        if let problem = PasswordFile.problem(status, processUID: geteuid()) {
            throw Refused(description: "\(path): refused: \(problem)")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while bytes.count <= 4096 {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 { throw Refused(description: "\(path): cannot read: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        switch PasswordFile.key(bytes, maxLength: TCPSocket.md5MaxKeyLength) {
        case .success(let key): return (key, status)
        case .failure(let problem): throw Refused(description: "\(path): \(problem)")
        }
    }
}

extension PasswordFile.Status {
    /// The fields of a `stat` result (the plugin calls `stat`/`fstat`; the pure core only reads the values).
    init(_ st: stat) {
        self.init(
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
            modified: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
            changed: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec), owner: st.st_uid,
            mode: st.st_mode)
    }
}
