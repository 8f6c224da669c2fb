#if canImport(Glibc)
    import Glibc
#endif

/// Where the kernel put a crashed runner's core dump, in words for the `PluginRunnerExited` Event and the log: the
/// file `kernel.core_pattern` names (relative to the runner's working directory, which is the host's), the program it
/// hands cores to, or why there is none.
package enum CoreDump {
    /// The location, from the pattern's text. `usesPID`: `kernel.core_uses_pid` (a pattern without `%p` gets
    /// `.PID` appended). Pure: no file is read.
    package static func location(
        pattern raw: String, pid: Int32, executable: String, directory: String, hostname: String, uid: UInt32,
        usesPID: Bool
    ) -> String {
        let pattern = String(raw.split(whereSeparator: { $0 == "\n" }).first ?? "")
        if pattern.hasPrefix("|") {
            let program = pattern.dropFirst().split(separator: " ").first.map(String.init) ?? ""
            let hint = program.hasSuffix("systemd-coredump") ? "; see coredumpctl info \(pid)" : ""
            return "handed to \(program) by kernel.core_pattern\(hint)"
        }
        var path = ""
        var sawPID = false
        var percent = false
        for character in pattern {
            guard percent else {
                if character == "%" { percent = true } else { path.append(character) }
                continue
            }
            percent = false
            switch character {
            case "%": path.append("%")
            case "p", "P", "i", "I":
                path += String(pid)
                sawPID = sawPID || character == "p" || character == "P"
            case "e", "E": path += executable
            case "h": path += hostname
            case "u": path += String(uid)
            default: path += "%\(character)"
            }
        }
        if path.isEmpty { path = "core" }
        if usesPID && !sawPID { path += ".\(pid)" }
        if !path.hasPrefix("/") { path = (directory.hasSuffix("/") ? directory : directory + "/") + path }
        return "in \(path)"
    }

    /// The words that follow a runner's end by `signal`: where its core went, or why it left none (nil for a signal
    /// that dumps no core).
    package static func describe(pid: Int32, signal: Int32, dumped: Bool, executable: String) -> String? {
        let dumping: Set<Int32> = [SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGQUIT, SIGSYS, SIGXCPU]
        guard dumping.contains(signal) else { return nil }
        guard dumped else {
            var limit = rlimit()
            if getrlimit(Int32(RLIMIT_CORE.rawValue), &limit) == 0, limit.rlim_cur == 0 {
                return "no core dump (the core size limit, ulimit -c, is 0)"
            }
            return "no core dump"
        }
        var buffer = [CChar](repeating: 0, count: 4096)
        let directory = getcwd(&buffer, buffer.count) != nil ? text(buffer) : "."
        var host = [CChar](repeating: 0, count: 256)
        let hostname = gethostname(&host, host.count) == 0 ? text(host) : "localhost"
        let location = Self.location(
            pattern: read("/proc/sys/kernel/core_pattern") ?? "core", pid: pid,
            executable: String((executable.split(separator: "/").last ?? "herald").prefix(15)),
            directory: directory, hostname: hostname, uid: getuid(),
            usesPID: read("/proc/sys/kernel/core_uses_pid")?.hasPrefix("1") ?? false)
        return "core dumped \(location)"
    }

    /// A NUL-terminated buffer's text.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let n = Glibc.read(fd, &bytes, bytes.count)
        guard n > 0 else { return nil }
        return String(decoding: bytes[..<n], as: UTF8.self)
    }
}
