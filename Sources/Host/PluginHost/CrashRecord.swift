import CHeraldCrash

/// Records, for the calling thread, which plugin and ABI call the host is in, so that a plugin that aborts or faults
/// is named in the crash report (see `herald_crash.h`): `herald: SIGABRT in plugin library PATH, instance "x", in
/// announce 192.0.2.10/32: …`.
enum CrashRecord {
    /// Installs the fatal-signal handlers (once per process). Called before the first plugin is loaded.
    static func install() { herald_crash_install() }

    /// Runs `body` (one call into a plugin) with the record set to `place` and `call`.
    static func during<T>(_ place: String, _ call: String, _ body: () -> T) -> T {
        place.withCString { p in call.withCString { c in herald_crash_enter(p, c) } }
        defer { herald_crash_leave() }
        return body()
    }

    /// The place of an instance's calls.
    static func place(library: String, instance: String?) -> String {
        "plugin library \(library)" + (instance.map { ", instance \"\($0)\"" } ?? "")
    }
}
