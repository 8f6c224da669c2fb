#if canImport(Glibc)
    import Glibc
#endif

/// The rule for every file that decides what runs with Herald's privileges: plugin libraries, herald.yaml and the
/// plugins.d files (which choose the libraries and, through the `exec` plugin, commands). Such a file must be a
/// regular file owned by the effective user or root and writable by no one else, and so must every folder above it:
/// whoever may write to one of them may replace the file (or a folder on its path) with their own. A group- or
/// world-writable folder is accepted only when it is sticky and owned by root, like /tmp (there, only a file's owner
/// may rename or remove it), or on a read-only mount (where no one may write it, whatever its mode says).
package enum TrustedFile {
    /// Why a file is not trusted.
    package enum Problem: Error, Equatable, Sendable {
        /// A folder above the file cannot be examined.
        case folderMissing(directory: String)
        case notRegularFile
        case wrongOwner(owner: UInt32, expected: UInt32)
        /// The file is group- or world-writable (`mode` is its whole `st_mode`).
        case writable(mode: UInt32)
        /// A folder above the file is owned by someone else (`directory` is the first such folder from the file up).
        case wrongDirectoryOwner(directory: String, owner: UInt32, expected: UInt32)
        /// A folder above the file may be written by others and is not a sticky folder owned by root.
        case writableDirectory(directory: String, mode: UInt32)
    }

    /// Checks a file by its status (from `stat` of its path, or `fstat` of the file once opened) and every folder
    /// above `path`; nil when it is trusted.
    package static func check(_ st: stat, path: String) -> Problem? {
        guard (st.st_mode & S_IFMT) == S_IFREG else { return .notRegularFile }
        let me = geteuid()
        guard st.st_uid == me || st.st_uid == 0 else { return .wrongOwner(owner: st.st_uid, expected: me) }
        guard st.st_mode & (S_IWGRP | S_IWOTH) == 0 else { return .writable(mode: st.st_mode) }
        return checkDirectories(of: path)
    }

    /// Checks every folder above `path`: those of the path as given (relative to the working folder when it is
    /// relative) and, when a symbolic link leads elsewhere, those of the file it resolves to.
    package static func checkDirectories(of path: String) -> Problem? {
        var chains = [absolute(path)]
        if let resolved = realpath(path, nil) {
            let canonical = String(cString: resolved)
            free(resolved)
            if canonical != chains[0] { chains.append(canonical) }
        }
        for chain in chains {
            if let problem = checkFolders(above: chain) { return problem }
        }
        return nil
    }

    private static func checkFolders(above path: String) -> Problem? {
        let me = geteuid()
        var directory = path
        while let slash = directory.lastIndex(of: "/") {
            directory = slash == directory.startIndex ? "/" : String(directory[..<slash])
            var st = stat()
            guard stat(directory, &st) == 0 else { return .folderMissing(directory: directory) }
            guard st.st_uid == me || st.st_uid == 0 else {
                return .wrongDirectoryOwner(directory: directory, owner: st.st_uid, expected: me)
            }
            let sticky = st.st_mode & S_ISVTX != 0 && st.st_uid == 0
            guard st.st_mode & (S_IWGRP | S_IWOTH) == 0 || sticky || readOnlyMount(directory) else {
                return .writableDirectory(directory: directory, mode: st.st_mode)
            }
            if directory == "/" { break }
        }
        return nil
    }

    /// Whether `directory` is on a read-only mount, where its mode bits let no one write (a Kubernetes ConfigMap
    /// volume: the kubelet makes its folder mode 777 and mounts it read-only in the container).
    private static func readOnlyMount(_ directory: String) -> Bool {
        var fs = statvfs()
        return statvfs(directory, &fs) == 0 && fs.f_flag & UInt(ST_RDONLY) != 0
    }

    /// `path` made absolute against the working folder.
    package static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let pointer = getcwd(nil, 0) else { return path }
        defer { free(pointer) }
        let cwd = String(cString: pointer)
        let relative = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        return cwd == "/" ? "/\(relative)" : "\(cwd)/\(relative)"
    }

    /// The problem in words, for a configuration file: what is wrong, and the command that fixes it.
    package static func configMessage(_ problem: Problem) -> (message: String, hint: String) {
        let why = "it chooses what Herald runs with its privileges"
        switch problem {
        case .folderMissing(let directory):
            return ("refused: the folder \(directory) cannot be examined", "check that it exists and is readable")
        case .notRegularFile:
            return ("refused: not a regular file", "make it a regular file")
        case .wrongOwner(let owner, let expected):
            return (
                "refused: owned by uid \(owner), not by uid \(expected) or root, and \(why)",
                "run chown root on it, or chown \(expected)"
            )
        case .writable(let mode):
            return (
                "refused: writable by group or others (mode \(String(mode & 0o7777, radix: 8))), and \(why)",
                "run chmod go-w on it"
            )
        case .wrongDirectoryOwner(let directory, let owner, let expected):
            return (
                "refused: the folder \(directory) is owned by uid \(owner), not by uid \(expected) or root, so its "
                    + "owner could replace the file, and \(why)",
                "run chown root on the folder"
            )
        case .writableDirectory(let directory, let mode):
            return (
                "refused: the folder \(directory) is writable by group or others (mode "
                    + "\(String(mode & 0o7777, radix: 8))) and not a sticky folder owned by root, so others could "
                    + "replace the file, and \(why)",
                "run chmod go-w on the folder"
            )
        }
    }
}
