import CHeraldPlugin
import Dispatch
import HeraldCore
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The host's side of `isolation: process`: one plugin runner child (`herald plugin-runner`) that loads the library,
/// and a ``PluginLibrary`` whose vtable relays every call to it (``RunnerProxy``), so that ``PluginInstance``, the
/// plugin set and the conformance suite drive an isolated plugin exactly as a loaded one.
///
/// A thread of its own supervises the child: it spawns it (so that the child's parent-death signal is tied to a
/// thread that outlives it), reads every frame it sends (replies go to the waiting call, callbacks to the instance's
/// host table), and when the child exits (a crash, a limit hit, a kill after a call overran its deadline, a malformed
/// frame) fails the waiting call at once, marks every instance unhealthy with the reason and raises a Warning Event,
/// then starts a new child after a backoff (1 s doubling to 30 s, back to 1 s after a minute without exit), creates,
/// configures and starts the instances again, and reports them healthy. The new child announces nothing: the host's
/// reconcile loop gives it what the plan says, as it does for any instance that has just started.
package final class PluginRunnerLink: Sendable {
    package struct Limits: Sendable, Equatable {
        /// RLIMIT_AS of the runner, bytes (nil: none).
        package var memoryBytes: UInt64?
        /// RLIMIT_NOFILE of the runner (nil: the host's).
        package var files: UInt32?
        /// The capabilities the runner keeps (nil: every one the host has).
        package var capabilities: RunnerCapabilities?
        package init(memoryBytes: UInt64? = nil, files: UInt32? = nil, capabilities: RunnerCapabilities? = nil) {
            self.memoryBytes = memoryBytes
            self.files = files
            self.capabilities = capabilities
        }
    }

    let path: String
    let label: String
    let limits: Limits
    let logger: Logger
    /// Close the link when its last instance is destroyed (the plugin set's one-runner-per-instance use).
    let closeWithLastInstance: Bool
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    struct State {
        var channel: RunnerChannel?
        var pid: pid_t = 0
        var pending: [UInt32: Pending] = [:]
        var sequence: UInt32 = 0
        var proxies: [RunnerProxy] = []
        var closed = false
        /// Why the runner is not serving calls now (nil while it is).
        var down: String? = "starting"
        /// Why the host killed the runner, if it did.
        var killedBecause: String?
        /// The call the runner was last asked to make, and whether it was still running.
        var lastCall: String?
        var exits = 0
        var exitObservers: [@Sendable () -> Void] = []
    }

    /// A call waiting for its reply.
    final class Pending: Sendable {
        /// The call's name, for the reason given when the runner ends while it runs.
        let call: String
        let done = DispatchSemaphore(value: 0)
        let reply = Mutex<RunnerMessage.Reply?>(nil)
        func finish(_ r: RunnerMessage.Reply) {
            reply.withLock { $0 = r }
            done.signal()
        }
        init(call: String) { self.call = call }
    }

    private init(path: String, label: String, limits: Limits, logger: Logger, closeWithLastInstance: Bool) {
        self.path = path
        self.label = label
        self.limits = limits
        self.logger = logger
        self.closeWithLastInstance = closeWithLastInstance
    }

    /// Starts a runner for the library at `path` (already checked as the loader checks files) and returns the library
    /// that relays to it, or the runner's reason for refusing the library.
    package static func launch(
        path: String, label: String, limits: Limits = Limits(), logger: Logger, closeWithLastInstance: Bool = true,
        within deadline: Duration = .seconds(10)
    ) throws(PluginLoadError) -> PluginLibrary {
        let link = PluginRunnerLink(
            path: path, label: label, limits: limits, logger: logger, closeWithLastInstance: closeWithLastInstance)
        let first = FirstContact()
        let thread = Thread(link: link, first: first)
        thread.start()
        guard first.done.wait(timeout: .now() + .nanoseconds(Int(PluginInstance.nanoseconds(deadline)))) == .success
        else {
            link.close()
            throw .dlopenFailed(path: path, message: "the plugin runner did not answer within \(deadline)")
        }
        switch first.outcome.withLock({ $0 }) {
        case .described(let d)?:
            return PluginLibrary(runner: link, described: d, path: path)
        case .refused(let why)?:
            link.close()
            throw .dlopenFailed(path: path, message: "in the plugin runner: \(why)")
        default:
            link.close()
            throw .dlopenFailed(path: path, message: "the plugin runner did not start")
        }
    }

    /// What the first child said (its description, or why it refused).
    final class FirstContact: Sendable {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<RunnerMessage?>(nil)
    }

    /// The thread that supervises the runner children. `pthread`, not a task: it blocks in read(2) and waitpid(2).
    struct Thread {
        let link: PluginRunnerLink
        let first: FirstContact

        func start() {
            let box = Unmanaged.passRetained(Box(self)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(
                &thread, nil,
                { raw in
                    let me = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().value
                    me.link.supervise(first: me.first)
                    return nil
                }, box)
            precondition(status == 0, "cannot start the plugin runner's thread (\(status))")
            pthread_detach(thread)
        }

        final class Box: @unchecked Sendable {
            let value: Thread
            init(_ value: Thread) { self.value = value }
        }
    }

    /// Whether the runner serves calls now; why not otherwise.
    package var down: String? { state.withLock { $0.down } }
    /// How many times the runner exited.
    package var exits: Int { state.withLock { $0.exits } }
    /// The runner's process id (0 while none runs).
    package var pid: pid_t { state.withLock { $0.channel == nil ? 0 : $0.pid } }

    /// Runs `body` after every exit of the runner (its instances then announce nothing).
    package func onExit(_ body: @escaping @Sendable () -> Void) {
        state.withLock { $0.exitObservers.append(body) }
    }

    /// Kills the runner (a call overran its deadline): the call fails at once, and the runner restarts.
    package func abandon(because reason: String) {
        let pid = state.withLock { s -> pid_t in
            guard s.channel != nil, s.pid > 0 else { return 0 }
            if s.killedBecause == nil { s.killedBecause = reason }
            return s.pid
        }
        if pid > 0 { kill(pid, SIGKILL) }
    }

    /// Ends the runner for good.
    package func close() {
        let (channel, pid) = state.withLock { s -> (RunnerChannel?, pid_t) in
            s.closed = true
            return (s.channel, s.pid)
        }
        channel?.shutDown()
        if pid > 0 { kill(pid, SIGKILL) }
        wake.signal()
    }

    // MARK: Calls

    /// Sends a call and waits for its reply (or the runner's end). `replay`: made by the supervisor while it brings a
    /// new runner up, when other calls are still refused.
    func request(_ call: RunnerCall, instance: UInt32, replay: Bool = false) -> RunnerMessage.Reply {
        guard let pending = send(call, instance: instance, replay: replay) else { return unavailable(call) }
        pending.done.wait()
        return pending.reply.withLock { $0 } ?? unavailable(call)
    }

    /// Sends one call without waiting for its reply; nil when the runner serves no calls now. A call whose frame
    /// could not be written is failed by the supervisor when it sees the runner's end (it may already have been).
    private func send(_ call: RunnerCall, instance: UInt32, replay: Bool = false) -> Pending? {
        let pending = Pending(call: call.name)
        let sent = state.withLock { s -> (RunnerChannel, UInt32)? in
            guard !s.closed, let channel = s.channel, replay || s.down == nil else { return nil }
            s.sequence &+= 1
            s.pending[s.sequence] = pending
            s.lastCall = call.name
            return (channel, s.sequence)
        }
        guard let (channel, sequence) = sent else { return nil }
        channel.send(.call(sequence: sequence, instance: instance, call))
        return pending
    }

    /// Makes `calls` into one instance in order and returns their replies in order, pipelined: up to `window` calls
    /// are on their way at once, so that the runner makes them one after the other without waiting for the host
    /// between them. Each reply is waited for at most `deadline` after the reply before it (the first: after it was
    /// sent), as a single call is: a call that overruns it kills the runner, which fails it and every call after it.
    func requestAll(
        _ calls: [RunnerCall], instance: UInt32, deadline: Duration, window: Int = 64
    ) -> [RunnerMessage.Reply] {
        var replies: [RunnerMessage.Reply] = []
        replies.reserveCapacity(calls.count)
        var sent: [Pending?] = []
        sent.reserveCapacity(calls.count)
        let wait = Int(PluginInstance.nanoseconds(deadline))
        while replies.count < calls.count {
            while sent.count < calls.count && sent.count - replies.count < window {
                sent.append(send(calls[sent.count], instance: instance))
            }
            let index = replies.count
            guard let pending = sent[index] else {
                replies.append(unavailable(calls[index]))
                continue
            }
            if pending.done.wait(timeout: .now() + .nanoseconds(wait)) == .timedOut {
                let detail = "\(calls[index].name) did not return within \(PluginInstance.describe(deadline))"
                logger.error("plugin runner for \(path) (\(label)): \(detail); killing it")
                abandon(because: detail)
                pending.done.wait()
            }
            replies.append(pending.reply.withLock { $0 } ?? unavailable(calls[index]))
        }
        return replies
    }

    private func unavailable(_ call: RunnerCall) -> RunnerMessage.Reply {
        let why = state.withLock { s in s.closed ? "the plugin runner is closed" : s.down ?? "the plugin runner is down"
        }
        return RunnerMessage.Reply(status: HERALD_ERR_IO, message: "\(call.name): \(why)")
    }

    func register(_ proxy: RunnerProxy) { state.withLock { $0.proxies.append(proxy) } }

    func unregister(_ proxy: RunnerProxy) {
        let last = state.withLock { s -> Bool in
            s.proxies.removeAll { $0 === proxy }
            return s.proxies.isEmpty
        }
        if last && closeWithLastInstance { close() }
    }

    // MARK: Supervision

    private func supervise(first: FirstContact) {
        var backoff: Duration = .seconds(1)
        var isFirst = true
        while !state.withLock({ $0.closed }) {
            let began = ContinuousClock.now
            let outcome = runOnce(first: isFirst ? first : nil)
            if isFirst {
                isFirst = false
                // A library the first runner refused (or a runner that never answered) ends the link.
                guard outcome else {
                    first.done.signal()
                    return
                }
            }
            if state.withLock({ $0.closed }) { break }
            if ContinuousClock.now - began > .seconds(60) { backoff = .seconds(1) }
            state.withLock { $0.down = ($0.down ?? "exited") + "; restarting in \(PluginInstance.describe(backoff))" }
            _ = wake.wait(timeout: .now() + .nanoseconds(Int(PluginInstance.nanoseconds(backoff))))
            backoff = min(backoff * 2, .seconds(30))
        }
        state.withLock { s in
            s.down = "the plugin runner is closed"
            s.channel = nil
        }
    }

    /// Runs one child to its end. False when it did not get as far as describing the library.
    private func runOnce(first: FirstContact?) -> Bool {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            note(exit: "cannot create the runner's socket: \(String(cString: strerror(errno)))", first: first)
            return false
        }
        let pid: pid_t
        switch Self.spawn(childEnd: fds[1], label: label, capabilities: limits.capabilities) {
        case .success(let p): pid = p
        case .failure(let message):
            Glibc.close(fds[0])
            Glibc.close(fds[1])
            note(exit: message, first: first)
            return false
        }
        Glibc.close(fds[1])
        let channel = RunnerChannel(fd: fds[0])
        defer { Glibc.close(fds[0]) }
        state.withLock { s in
            s.pid = pid
            s.channel = channel
            s.killedBecause = nil
        }
        // The handshake.
        let hello = RunnerMessage.Hello(
            library: path, memoryLimit: limits.memoryBytes ?? 0, fileLimit: limits.files ?? 0)
        channel.send(.hello(hello))
        let answer = channel.receive()
        var described = false
        switch answer {
        case .described?:
            described = true
            if let first {
                state.withLock { $0.down = nil }
                first.outcome.withLock { $0 = answer }
                first.done.signal()
            }
        case .refused(let why)?:
            first?.outcome.withLock { $0 = answer }
            logger.error("plugin runner for \(path) refused the library: \(why)")
        default: break
        }
        if described {
            if first == nil {
                // A restart: the instances again, then healthy. Replayed on another thread, since this one reads.
                DispatchQueue.global().async { self.replay() }
            }
            read(channel)
        }
        // The end of this child: it has exited, or gets 100 ms to do so before it is killed (a runner whose plugin
        // closed the socket lives on without it).
        channel.shutDown()
        var status: Int32 = 0
        var reaped = false
        for _ in 0..<20 {
            if waitpid(pid, &status, WNOHANG) == pid {
                reaped = true
                break
            }
            usleep(5000)
        }
        if !reaped {
            state.withLock { s in
                if s.killedBecause == nil && !s.closed { s.killedBecause = "its protocol socket closed while it ran" }
            }
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        var why = Self.describe(status: status)
        if status & 0x7f != 0,
            let core = CoreDump.describe(
                pid: pid, signal: status & 0x7f, dumped: status & 0x80 != 0, executable: Self.executable)
        {
            why += "; \(core)"
        }
        finish(child: why, described: described, first: first)
        return described
    }

    /// Reads frames until the connection ends.
    private func read(_ channel: RunnerChannel) {
        while let message = channel.receive() {
            switch message {
            case .reply(let sequence, let reply):
                let pending = state.withLock { $0.pending.removeValue(forKey: sequence) }
                pending?.finish(reply)
            case .log(let instance, let level, let text):
                proxy(instance)?.callback { host in
                    text.withCString { host.pointee.log?(host.pointee.context, level, $0) }
                }
            case .event(let instance, let type, let reason, let text, let id):
                proxy(instance)?.callback { host in
                    reason.withCString { r in
                        text.withCString { m in
                            if let id {
                                id.withCString { host.pointee.emit_event?(host.pointee.context, type, r, m, $0) }
                            } else {
                                host.pointee.emit_event?(host.pointee.context, type, r, m, nil)
                            }
                        }
                    }
                }
            case .health(let instance, let health, let detail):
                proxy(instance)?.callback { host in
                    if let detail {
                        detail.withCString { host.pointee.report_health?(host.pointee.context, health, $0) }
                    } else {
                        host.pointee.report_health?(host.pointee.context, health, nil)
                    }
                }
            default:
                logger.error("plugin runner for \(path) sent an unexpected frame; ending it")
                return
            }
        }
    }

    private func proxy(_ remote: UInt32) -> RunnerProxy? {
        state.withLock { s in s.proxies.first { $0.remote == remote } }
    }

    private func note(exit message: String, first: FirstContact?) {
        logger.error("plugin runner for \(path): \(message)")
        if let first {
            first.outcome.withLock { $0 = .refused(message) }
        }
        state.withLock { $0.down = message }
    }

    /// After a child ended: every waiting call fails, every instance is unhealthy and told so, observers run.
    private func finish(child why: String, described: Bool, first: FirstContact?) {
        let (pending, proxies, observers, reason, closed) = state.withLock { s in
            let killed = s.killedBecause
            // The call in progress is the oldest one waiting (later ones may be queued behind it).
            let running = s.pending.max { s.sequence &- $0.key < s.sequence &- $1.key }?.value.call
            let last = running.map { " during \($0)" } ?? s.lastCall.map { " (idle; last call: \($0))" } ?? ""
            let reason = (killed.map { "killed by the host: \($0)" } ?? "exited: \(why)") + last
            s.down = "the plugin runner \(reason)"
            s.channel = nil
            s.pid = 0
            if described { s.exits += 1 }
            let pending = s.pending
            s.pending = [:]
            return (pending, s.proxies, s.exitObservers, reason, s.closed)
        }
        for (_, call) in pending {
            call.finish(RunnerMessage.Reply(status: HERALD_ERR_IO, message: "the plugin runner \(reason)"))
        }
        guard described, !closed else { return }
        logger.error("plugin runner for \(path) (\(label)) \(reason); it restarts")
        for observer in observers { observer() }
        for proxy in proxies {
            proxy.callback { host in
                "plugin runner \(reason); restarting".withCString {
                    host.pointee.report_health?(host.pointee.context, HERALD_HEALTH_UNHEALTHY, $0)
                }
                "PluginRunnerExited".withCString { r in
                    "the plugin runner \(reason); this node announces nothing through the instance until it restarts"
                        .withCString {
                            host.pointee.emit_event?(host.pointee.context, HERALD_EVENT_WARNING, r, $0, nil)
                        }
                }
            }
        }
    }

    /// Brings a new runner's instances back: created, configured and started as before; then healthy.
    private func replay() {
        let proxies = state.withLock { $0.proxies }
        for proxy in proxies {
            if let problem = proxy.replay() {
                logger.error("plugin runner for \(path): \(problem)")
                abandon(because: problem)
                return
            }
        }
        state.withLock { $0.down = nil }
        logger.notice("plugin runner for \(path) (\(label)) restarted")
        for proxy in proxies {
            proxy.callback { host in
                host.pointee.report_health?(host.pointee.context, HERALD_HEALTH_OK, nil)
                "PluginRunnerRestarted".withCString { r in
                    "the plugin runner restarted; announcements resume".withCString {
                        host.pointee.emit_event?(host.pointee.context, HERALD_EVENT_NORMAL, r, $0, nil)
                    }
                }
            }
        }
    }

    // MARK: Processes

    /// The runner executable: `HERALD_PLUGIN_RUNNER`, else this executable when it is `herald`, else `herald` beside
    /// it (a test process).
    package static var executable: String {
        if let set = getenv("HERALD_PLUGIN_RUNNER") { return String(cString: set) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let me = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "herald"
        if me.hasSuffix("/herald") { return me }
        return (PluginLoader.executableDirectory() ?? ".") + "/herald"
    }

    enum Spawned {
        case success(pid_t)
        case failure(String)
    }

    static func spawn(childEnd: Int32, label: String, capabilities: RunnerCapabilities?) -> Spawned {
        let exe = executable
        var args = [exe, "plugin-runner", "--fd", "3", "--parent", "\(getpid())", "--instance", label]
        // Dropped by the runner before its main starts (capabilities are per thread; see herald_runner.c).
        if let capabilities { args += ["--capabilities", String(capabilities.mask, radix: 16)] }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // dup2 onto 3 clears close-on-exec there (also when the end already is 3: glibc ≥ 2.29).
        posix_spawn_file_actions_adddup2(&actions, childEnd, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let cArgs = args.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let status = posix_spawn(&pid, exe, &actions, &attributes, cArgs, environ)
        guard status == 0 else {
            return .failure("cannot start the plugin runner \(exe): \(String(cString: strerror(status)))")
        }
        return .success(pid)
    }

    /// A wait status in words: "status 3", "signal 11 (SIGSEGV: Segmentation fault)" (what became of a core: ``CoreDump``).
    static func describe(status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "status \((status >> 8) & 0xff)" }
        let names: [Int32: String] = [
            SIGABRT: "SIGABRT", SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGFPE: "SIGFPE",
            SIGTRAP: "SIGTRAP", SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGXCPU: "SIGXCPU", SIGPIPE: "SIGPIPE",
        ]
        let text = strsignal(signal).map { String(cString: $0) } ?? "signal"
        return "signal \(signal) (\(names[signal].map { "\($0): " } ?? "")\(text))"
    }
}
