/// The Linux capabilities a plugin runner keeps (`capabilities:` of a plugins.d instance with `isolation: process`):
/// every other one is dropped before the plugin's library is loaded, and no_new_privs is set, so that neither the
/// plugin nor a program it runs can gain one back.
public struct RunnerCapabilities: Sendable, Hashable, CustomStringConvertible {
    /// Bit n: capability n.
    public var mask: UInt64

    public init(mask: UInt64) { self.mask = mask }

    /// From names such as `NET_RAW` or `CAP_NET_RAW` (any case); nil with the first unknown name.
    public init?(names: [String]) {
        var mask: UInt64 = 0
        for name in names {
            guard let bit = Self.number(name) else { return nil }
            mask |= 1 << UInt64(bit)
        }
        self.mask = mask
    }

    public static func number(_ name: String) -> Int? {
        var key = name.uppercased()
        if key.hasPrefix("CAP_") { key.removeFirst(4) }
        return names.firstIndex(of: key)
    }

    public var names: [String] {
        Self.names.indices.filter { mask & (1 << UInt64($0)) != 0 }.map { Self.names[$0] }
    }

    public var description: String { names.isEmpty ? "none" : names.joined(separator: ", ") }

    /// What a bundled plugin needs, by the library name a plugins.d file gives; nil for any other library (the
    /// instance keeps none unless its file lists some).
    /// - herald-arp, herald-ndp: NET_RAW (packet sockets).
    /// - herald-bgp: NET_BIND_SERVICE (port 179), NET_RAW (SO_BINDTODEVICE for peers with `vrf`), SYS_NICE (the BFD
    ///   thread's SCHED_FIFO; without it BFD runs at normal priority).
    /// - herald-exec: NET_ADMIN (commands that change routes or addresses).
    /// - herald-log: none.
    public static func bundledDefault(library: String) -> RunnerCapabilities? {
        let base = library.split(separator: "/").last.map(String.init) ?? library
        let name =
            base.hasPrefix("lib") && base.hasSuffix(".so")
            ? String(base.dropFirst(3).dropLast(3)) : base.hasSuffix(".so") ? String(base.dropLast(3)) : base
        switch name {
        case "herald-arp", "herald-ndp": return RunnerCapabilities(names: ["NET_RAW"])
        case "herald-bgp": return RunnerCapabilities(names: ["NET_BIND_SERVICE", "NET_RAW", "SYS_NICE"])
        case "herald-exec": return RunnerCapabilities(names: ["NET_ADMIN"])
        case "herald-log": return RunnerCapabilities(mask: 0)
        default: return nil
        }
    }

    /// Capability names by number (linux/capability.h).
    public static let names = [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
    ]
}
