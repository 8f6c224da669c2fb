import CHeraldCrash
import CHeraldPlugin
import HeraldCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The runner's side of `isolation: process` (`herald plugin-runner`): a child of the host that loads one plugin
/// library exactly as the host would and relays every ABI call and callback over the protocol socket
/// (``RunnerWire``). Calls are made one at a time on the runner's main thread, in the order they arrive; callbacks
/// from the plugin's threads are framed and sent as they come. Whatever the plugin does (abort, fault, hang, leak,
/// close descriptors) ends or stalls this process only: the host sees the socket close or a call overrun its deadline.
package enum PluginRunner {
    /// Serves the host on `fd` until the host closes it; returns the process's exit status.
    package static func serve(fd: Int32, parent: pid_t) -> Int32 {
        let prepared = herald_runner_prepare(fd, parent)
        guard prepared == 0 else {
            complain("herald plugin-runner: cannot prepare the runner: \(String(cString: strerror(prepared)))\n")
            return 71
        }
        signal(SIGPIPE, SIG_IGN)
        let channel = RunnerChannel(fd: fd)
        guard case .hello(let hello)? = channel.receive() else {
            complain("herald plugin-runner: the host's first frame is not a hello\n")
            return 72
        }
        guard hello.version == RunnerWire.version else {
            channel.send(.refused("the runner speaks protocol version \(RunnerWire.version), not \(hello.version)"))
            return 73
        }
        let limited = herald_runner_limit(hello.memoryLimit, hello.fileLimit)
        guard limited == 0 else {
            channel.send(.refused("cannot set the runner's limits: \(String(cString: strerror(limited)))"))
            return 74
        }
        let library: PluginLibrary
        do throws(PluginLoadError) {
            library = try PluginLibrary(path: hello.library)
        } catch {
            channel.send(.refused("\(error)"))
            return 75
        }
        let again = library.entry(UInt32(HERALD_ABI_MAJOR), UInt32(HERALD_ABI_MINOR))
        let other = library.entry(UInt32(HERALD_ABI_MAJOR) + 1, 0)
        let info = library.info
        channel.send(
            .described(
                RunnerMessage.Described(
                    id: info.id, name: info.name, version: info.version, description: info.description,
                    protocols: info.protocols,
                    flags: info.kind == .exclusive ? HERALD_PLUGIN_EXCLUSIVE : HERALD_PLUGIN_ROUTED,
                    abiMajor: UInt16(clamping: info.abiMajor), abiMinor: UInt16(clamping: info.abiMinor),
                    entryStable: again == library.descriptor, entryRefusesOtherMajor: other == nil)))
        var host = RunnerHost(library: library, channel: channel)
        while let message = channel.receive() {
            guard case .call(let sequence, let instance, let call) = message else {
                complain("herald plugin-runner: unexpected frame from the host\n")
                return 76
            }
            channel.send(.reply(sequence: sequence, host.perform(call, on: instance)))
        }
        guard channel.closedByPeer else {
            // The plugin closed or broke the protocol socket (or the host sent garbage).
            complain("herald plugin-runner: the protocol socket failed; exiting with status 77\n")
            return 77
        }
        return 0
    }
}

/// A line to standard error (the host's, inherited), with write(2).
func complain(_ line: String) {
    let text = Array(line.utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// The runner's instances and the calls into them.
struct RunnerHost {
    let library: PluginLibrary
    let channel: RunnerChannel
    var instances: [UInt32: (handle: UnsafeMutableRawPointer, callbacks: RunnerCallbacks)] = [:]
    var next: UInt32 = 1

    init(library: PluginLibrary, channel: RunnerChannel) {
        self.library = library
        self.channel = channel
    }

    mutating func perform(_ call: RunnerCall, on number: UInt32) -> RunnerMessage.Reply {
        let v = library.vtable.pointee
        var buffer = [CChar](repeating: 0, count: PluginInstance.errorCapacity)
        func reply(_ status: Int32) -> RunnerMessage.Reply {
            RunnerMessage.Reply(status: status, message: status == HERALD_OK ? "" : PluginInstance.text(buffer))
        }
        if case .create = call {
            let callbacks = RunnerCallbacks(instance: next, channel: channel)
            var handle: UnsafeMutableRawPointer?
            let status = v.create!(library.factoryContext, callbacks.table, &handle, &buffer, buffer.count)
            guard status == HERALD_OK, let handle else {
                return RunnerMessage.Reply(
                    status: status == HERALD_OK ? HERALD_ERR_INTERNAL : status,
                    message: status == HERALD_OK ? "create returned no instance" : PluginInstance.text(buffer))
            }
            instances[next] = (handle, callbacks)
            defer { next &+= 1 }
            return RunnerMessage.Reply(status: HERALD_OK, instance: next)
        }
        guard let (handle, callbacks) = instances[number] else {
            return RunnerMessage.Reply(status: HERALD_ERR_STATE, message: "no instance \(number) in the runner")
        }
        switch call {
        case .create: return RunnerMessage.Reply(status: HERALD_ERR_INTERNAL)
        case .configure(let json, let node):
            let local = LocalNode(
                name: node.name,
                labels: Dictionary(node.labels.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
                addresses: node.addresses)
            return reply(
                json.withCString { j in local.withCStruct { n in v.configure!(handle, j, n, &buffer, buffer.count) } })
        case .start:
            return reply(v.start!(handle, &buffer, buffer.count))
        case .announce(let a):
            return reply(a.withCStruct { v.announce!(handle, $0, &buffer, buffer.count) })
        case .withdraw(let id):
            return reply(id.withCString { v.withdraw!(handle, $0, &buffer, buffer.count) })
        case .health:
            // A plugin without a health function: what it last pushed, as the host reads it in process.
            guard let poll = v.health else {
                let pushed = callbacks.pushed
                return RunnerMessage.Reply(status: pushed.state, message: pushed.detail ?? "")
            }
            var detail = [CChar](repeating: 0, count: 256)
            let state = poll(handle, &detail, detail.count)
            return RunnerMessage.Reply(status: state, message: PluginInstance.text(detail))
        case .metrics:
            guard let collect = v.collect_metrics else { return RunnerMessage.Reply(status: HERALD_OK) }
            let metrics = MetricsCollector.collect { sink in collect(handle, sink) }
            return RunnerMessage.Reply(
                status: HERALD_OK,
                metrics: metrics.map {
                    RunnerMetric(
                        kind: $0.kind == .counter ? HERALD_METRIC_COUNTER : HERALD_METRIC_GAUGE, name: $0.name,
                        help: $0.help, labels: $0.labels.map { RunnerPair(key: $0.key, value: $0.value) },
                        value: $0.value)
                })
        case .stop:
            v.stop!(handle)
            return RunnerMessage.Reply(status: HERALD_OK)
        case .destroy:
            v.destroy!(handle)
            instances[number] = nil
            callbacks.release()
            return RunnerMessage.Reply(status: HERALD_OK)
        }
    }
}

/// The `herald_host_api` of one instance in the runner: every callback becomes a frame to the host.
final class RunnerCallbacks: Sendable {
    let instance: UInt32
    let channel: RunnerChannel
    private let pushedHealth = Mutex((state: HERALD_HEALTH_OK, detail: String?.none))
    nonisolated(unsafe) let table: UnsafeMutablePointer<herald_host_api>

    init(instance: UInt32, channel: RunnerChannel) {
        self.instance = instance
        self.channel = channel
        table = .allocate(capacity: 1)
        table.initialize(
            to: herald_host_api(
                struct_size: UInt32(MemoryLayout<herald_host_api>.size),
                abi_major: UInt16(HERALD_ABI_MAJOR), abi_minor: UInt16(HERALD_ABI_MINOR),
                context: nil,
                log: { context, level, message in
                    guard let context, let message else { return }
                    let c = RunnerCallbacks.from(context)
                    c.channel.send(.log(instance: c.instance, level: level, message: String(cString: message)))
                },
                emit_event: { context, type, reason, message, announcement in
                    guard let context else { return }
                    let c = RunnerCallbacks.from(context)
                    c.channel.send(
                        .event(
                            instance: c.instance, type: type,
                            reason: reason.map { String(cString: $0) } ?? "PluginEvent",
                            message: message.map { String(cString: $0) } ?? "",
                            announcementID: announcement.map { String(cString: $0) }))
                },
                report_health: { context, state, detail in
                    guard let context else { return }
                    let c = RunnerCallbacks.from(context)
                    let text = detail.map { String(cString: $0) }
                    c.pushedHealth.withLock { $0 = (state, text) }
                    c.channel.send(.health(instance: c.instance, state: state, detail: text))
                },
                get_extension: { _, _ in nil }))
        // The table holds the callbacks for as long as the plugin may call them (until destroy returned).
        table.pointee.context = Unmanaged.passRetained(self).toOpaque()
    }

    var pushed: (state: Int32, detail: String?) { pushedHealth.withLock { $0 } }

    /// Frees the table after the instance was destroyed.
    func release() {
        let context = table.pointee.context
        table.deallocate()
        if let context { Unmanaged<RunnerCallbacks>.fromOpaque(context).release() }
    }

    static func from(_ pointer: UnsafeMutableRawPointer) -> RunnerCallbacks {
        Unmanaged<RunnerCallbacks>.fromOpaque(pointer).takeUnretainedValue()
    }
}

/// One end of the protocol socket: whole frames out (from any thread, one at a time), frames in (one reader).
final class RunnerChannel: Sendable {
    let fd: Int32
    private let writing = Mutex(())
    private let reading = Mutex(RunnerWire.FrameSplitter())
    /// Set once the connection failed (closed, or a malformed frame): every later send is dropped.
    private let broken = Atomic(false)
    /// The other side closed the connection (end of file), as opposed to an error here.
    private let peerClosed = Atomic(false)

    var closedByPeer: Bool { peerClosed.load(ordering: .relaxed) }

    init(fd: Int32) { self.fd = fd }

    var isBroken: Bool { broken.load(ordering: .relaxed) }

    /// Sends one message; false when the connection is gone.
    @discardableResult
    func send(_ message: RunnerMessage) -> Bool {
        guard !isBroken else { return false }
        let bytes = RunnerWire.frame(message)
        return writing.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { raw in
                    Glibc.send(fd, raw.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    broken.store(true, ordering: .relaxed)
                    return false
                }
                offset += n
            }
            return true
        }
    }

    /// The next message; nil when the connection closed or a frame was malformed (it is then broken).
    func receive() -> RunnerMessage? {
        reading.withLock { splitter -> RunnerMessage? in
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                do throws(RunnerWire.Malformed) {
                    if let body = try splitter.next() { return try RunnerWire.decode(body) }
                } catch {
                    complain("herald: \(error)\n")
                    broken.store(true, ordering: .relaxed)
                    return nil
                }
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n == 0 && !broken.load(ordering: .relaxed) { peerClosed.store(true, ordering: .relaxed) }
                guard n > 0 else {
                    broken.store(true, ordering: .relaxed)
                    return nil
                }
                splitter.append(chunk[0..<n])
            }
        }
    }

    /// Ends the connection both ways (a reader blocked in `receive` returns nil).
    func shutDown() {
        broken.store(true, ordering: .relaxed)
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }
}

extension RunnerAnnouncement {
    /// Calls `body` with a borrowed C view of the announcement.
    func withCStruct<R>(_ body: (UnsafePointer<herald_announcement>) -> R) -> R {
        let arena = CStringArena()
        defer { arena.free() }
        let c = arena.copy
        let serviceList: [UnsafePointer<CChar>?] = services.map { c($0) }
        var a = herald_announcement()
        a.struct_size = UInt32(MemoryLayout<herald_announcement>.size)
        a.id = c(id)
        a.family = family
        a.prefix_length = prefixLength
        withUnsafeMutableBytes(of: &a.address) { raw in
            for (index, byte) in address.prefix(16).enumerated() { raw[index] = byte }
        }
        a.address_text = c(addressText)
        a.attributes_json = c(attributesJSON)
        a.advertisement = c(advertisement)
        return serviceList.withUnsafeBufferPointer { list in
            a.services = list.baseAddress
            a.service_count = list.count
            return withUnsafePointer(to: &a) { body($0) }
        }
    }

    /// The wire form of a C announcement (borrowed for the call).
    init(_ a: UnsafePointer<herald_announcement>) {
        let p = a.pointee
        var services: [String] = []
        if let list = p.services {
            for index in 0..<min(p.service_count, 1 << 20) {
                if let s = list[index] { services.append(String(cString: s)) }
            }
        }
        let address = withUnsafeBytes(of: p.address) { Array($0) }
        self.init(
            id: p.id.map { String(cString: $0) } ?? "", family: p.family, prefixLength: p.prefix_length,
            address: address, addressText: p.address_text.map { String(cString: $0) } ?? "", services: services,
            attributesJSON: p.attributes_json.map { String(cString: $0) } ?? "{}",
            advertisement: p.advertisement.map { String(cString: $0) } ?? "")
    }
}
