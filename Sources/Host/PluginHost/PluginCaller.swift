import CHeraldCrash
import CHeraldPlugin
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The thread of one plugin instance: runs the instance's calls one at a time (the ABI promises serialised calls) and
/// lets the caller wait for each with a deadline.
///
/// A call into a plugin cannot be interrupted. One that overruns its deadline goes on running on this thread; the
/// caller gets nil at the deadline and marks the instance failed, so that nothing else is queued behind the hung call
/// and no caller (the reconcile loop, a status request, SIGTERM) waits for it longer than the deadline. Its thread is
/// the one resource a hung plugin keeps.
final class PluginCaller: Sendable {
    private let jobs = Mutex<[Job]>([])
    private let available = DispatchSemaphore(value: 0)
    private let label: String

    /// One call: its work, and the semaphore its caller waits on.
    final class Job: Sendable {
        let work: @Sendable () -> Void
        let done = DispatchSemaphore(value: 0)
        init(_ work: @escaping @Sendable () -> Void) { self.work = work }
    }

    init(label: String) {
        self.label = label
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, nil,
            { raw in
                let caller = Unmanaged<PluginCaller>.fromOpaque(raw!).takeRetainedValue()
                caller.loop()
                return nil
            }, context)
        precondition(status == 0, "cannot start the thread of plugin instance calls (\(status))")
        pthread_detach(thread)
    }

    /// Runs `body` on the instance's thread; its value, or nil when it has not returned within `deadline`.
    func call<T: Sendable>(within deadline: Duration, _ body: @escaping @Sendable () -> T) -> T? {
        let box = ResultBox<T>()
        let job = Job { box.set(body()) }
        jobs.withLock { $0.append(job) }
        available.signal()
        let (seconds, attoseconds) = deadline.components
        let nanoseconds = max(0, seconds) * 1_000_000_000 + max(0, attoseconds) / 1_000_000_000
        guard job.done.wait(timeout: .now() + .nanoseconds(Int(nanoseconds))) == .success else {
            return nil
        }
        return box.take()
    }

    /// Ends the thread once the calls queued before this one have run. A thread held by a hung call never ends.
    func finish() {
        jobs.withLock { $0.append(Self.stop) }
        available.signal()
    }

    private static let stop = Job {}

    private func loop() {
        // The instance's name tells the thread apart in a backtrace (15 bytes are kept).
        herald_thread_set_name(label)
        while true {
            available.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            if job === Self.stop { return }
            job.work()
            job.done.signal()
        }
    }

    /// Where the plugin thread leaves a call's value for its caller.
    final class ResultBox<T: Sendable>: Sendable {
        let slot = Mutex<T?>(nil)
        func set(_ value: T) { slot.withLock { $0 = value } }
        func take() -> T? { slot.withLock { $0.take() } }
    }
}

/// A value handed to the plugin thread that Swift cannot prove sendable: the instance handle and the vtable, which
/// only that thread uses while a call runs (calls are serialised there).
struct PluginHandle: @unchecked Sendable {
    let instance: UnsafeMutableRawPointer
    let vtable: UnsafePointer<herald_plugin_vtable>
}
