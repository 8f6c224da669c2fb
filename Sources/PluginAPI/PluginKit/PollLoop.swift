#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The wait of a plugin's I/O thread: `poll(2)` over the thread's descriptors plus a wake pipe, so that plugin calls,
/// which must never wait for I/O, can change shared state and have the thread look at it at once.
///
/// One thread waits; any thread may wake it. The usual shape:
///
/// ```swift
/// // start(): before the thread starts.
/// let loop = try PollLoop()
/// thread = try PluginThread.start("I/O thread") { [self] in
///     var fds: [pollfd] = []
///     while !shared.withLock({ $0.stopping }) {
///         // … do what is due, then list the descriptors to watch:
///         fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
///         guard loop.wait(&fds, until: nextDeadline) else { continue }
///         // … serve the descriptors whose revents are set.
///     }
/// }
/// // announce(_:) and the like: change the shared state, then loop.wake().
/// // stop(): set `stopping`, loop.wake(), join the thread, then release the loop (which closes its pipe).
/// ```
public final class PollLoop: @unchecked Sendable {
    // @unchecked: the pipe's descriptors are immutable after init and `wake` only writes to one; `entries` is used
    // by `wait` alone, which one thread calls at a time.
    private let wakeReadFD: Int32
    private let wakeWriteFD: Int32
    private var entries: [pollfd] = []

    /// The longest single wait in milliseconds, whatever the deadline: a thread with no deadline still looks at its
    /// state once a minute.
    public static let maximumWaitMs: Int32 = 60_000

    /// Opens the wake pipe (both ends non-blocking and close-on-exec).
    /// - Throws: `PluginError(.io)` when the pipe cannot be created.
    public init() throws {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw PluginError(.io, "pipe: \(String(cString: strerror(errno)))") }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        (wakeReadFD, wakeWriteFD) = (ends[0], ends[1])
    }

    deinit {
        close(wakeReadFD)
        close(wakeWriteFD)
    }

    /// Makes the current wait, or the next one, return at once. Thread-safe and never blocks: when the pipe is
    /// full, a wake-up is pending already.
    public func wake() {
        var one: UInt8 = 1
        _ = write(wakeWriteFD, &one, 1)
    }

    /// Waits until one of `descriptors` has an event, `wake()` is called, or `deadline` passes.
    ///
    /// - Parameters:
    ///   - descriptors: what to watch; on return each entry's `revents` holds what `poll(2)` reported (entries with a
    ///     negative `fd` are ignored, as by `poll`).
    ///   - deadline: a `MonotonicClock` time; nil for none. The wait rounds up to whole milliseconds and lasts at
    ///     most `maximumWaitMs`.
    /// - Returns: false when nothing is ready: the wait timed out, a signal interrupted it (EINTR), or `poll` failed.
    ///   The caller then re-checks its state and its deadlines and waits again. True otherwise; a wake-up is consumed
    ///   here, so a wait ended by `wake()` alone returns true with every `revents` zero.
    public func wait(_ descriptors: inout [pollfd], until deadline: UInt64?) -> Bool {
        entries.removeAll(keepingCapacity: true)
        entries.append(pollfd(fd: wakeReadFD, events: Int16(POLLIN), revents: 0))
        entries.append(contentsOf: descriptors)
        let timeout = Self.timeout(until: deadline, now: MonotonicClock.now())
        guard poll(&entries, nfds_t(entries.count), timeout) > 0 else { return false }
        if entries[0].revents != 0 {
            var drain = [UInt8](repeating: 0, count: 64)
            while read(wakeReadFD, &drain, drain.count) > 0 {}
        }
        for index in descriptors.indices { descriptors[index].revents = entries[index + 1].revents }
        return true
    }

    /// The poll timeout in milliseconds for a deadline: 0 when it has passed, else the time left rounded up, at
    /// most `maximumWaitMs`.
    static func timeout(until deadline: UInt64?, now: UInt64) -> Int32 {
        guard let deadline else { return maximumWaitMs }
        guard deadline > now else { return 0 }
        let left = deadline - now
        // Rounded up without `left + 999_999`, which overflows for a deadline near `UInt64.max`.
        let milliseconds = left / 1_000_000 + (left % 1_000_000 == 0 ? 0 : 1)
        return Int32(min(milliseconds, UInt64(maximumWaitMs)))
    }
}
