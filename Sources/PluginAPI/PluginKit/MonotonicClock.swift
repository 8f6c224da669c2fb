#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The clock of a plugin's timers and deadlines: CLOCK_MONOTONIC, immune to wall-clock steps, and the clock
/// `PollLoop.wait(_:until:)` measures its deadline against.
public enum MonotonicClock {
    /// Nanoseconds of CLOCK_MONOTONIC (since an unspecified start, usually boot; one clock for every process and
    /// network namespace of the machine).
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
