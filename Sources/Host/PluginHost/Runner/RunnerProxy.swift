import CHeraldPlugin
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One instance of a plugin that runs in a runner, as the host sees it: the `instance` pointer the proxy vtable's
/// functions receive. It remembers what a new runner needs to bring the instance back (its configuration and whether
/// it was started), never what it announced: after a restart the plan says what to announce.
final class RunnerProxy: Sendable {
    let link: PluginRunnerLink
    /// The host's table for this instance (the host keeps it valid from create until destroy returned).
    private let host: PluginPointer<UnsafePointer<herald_host_api>>
    private let state = Mutex(State())

    struct State {
        var remote: UInt32 = 0
        var configuration: (json: String, node: RunnerNode)?
        var started = false
    }

    init(link: PluginRunnerLink, host: UnsafePointer<herald_host_api>) {
        self.link = link
        self.host = PluginPointer(host)
    }

    var remote: UInt32 { state.withLock { $0.remote } }

    /// Calls one of the host's callbacks for this instance.
    func callback(_ body: (UnsafePointer<herald_host_api>) -> Void) { body(host.value) }

    func call(_ call: RunnerCall) -> RunnerMessage.Reply {
        link.request(call, instance: remote)
    }

    /// Several calls in order, pipelined (see ``PluginRunnerLink/requestAll(_:instance:deadline:window:)``).
    func callAll(_ calls: [RunnerCall], deadline: Duration) -> [RunnerMessage.Reply] {
        link.requestAll(calls, instance: remote, deadline: deadline)
    }

    /// Creates, configures and starts the instance in a new runner; the problem, if any.
    func replay() -> String? {
        let (configuration, started) = state.withLock { ($0.configuration, $0.started) }
        let created = link.request(.create, instance: 0, replay: true)
        guard created.status == HERALD_OK else { return "create again failed: \(created.message)" }
        state.withLock { $0.remote = created.instance }
        if let configuration {
            let reply = link.request(
                .configure(json: configuration.json, node: configuration.node), instance: created.instance,
                replay: true)
            guard reply.status == HERALD_OK else { return "configure again failed: \(reply.message)" }
        }
        if started {
            let reply = link.request(.start, instance: created.instance, replay: true)
            guard reply.status == HERALD_OK else { return "start again failed: \(reply.message)" }
        }
        return nil
    }

    static func from(_ pointer: UnsafeMutableRawPointer) -> RunnerProxy {
        Unmanaged<RunnerProxy>.fromOpaque(pointer).takeUnretainedValue()
    }

    static func write(_ message: String, _ err: UnsafeMutablePointer<CChar>?, _ cap: Int) {
        guard let err, cap > 0 else { return }
        let bytes = Array(message.utf8.prefix(cap - 1))
        for (index, byte) in bytes.enumerated() { err[index] = CChar(bitPattern: byte) }
        err[bytes.count] = 0
    }

    static func finish(_ reply: RunnerMessage.Reply, _ err: UnsafeMutablePointer<CChar>?, _ cap: Int) -> Int32 {
        if reply.status != HERALD_OK { write(reply.message, err, cap) }
        return reply.status
    }

    /// The vtable of every runner library: each function relays its call.
    // Written once, read-only after: shared by every runner library.
    nonisolated(unsafe) static let vtable: UnsafePointer<herald_plugin_vtable> = {
        let table = UnsafeMutablePointer<herald_plugin_vtable>.allocate(capacity: 1)
        table.initialize(
            to: herald_plugin_vtable(
                struct_size: UInt32(MemoryLayout<herald_plugin_vtable>.size),
                create: { factory, host, out, err, cap in
                    guard let factory, let host, let out else { return HERALD_ERR_INVALID_ARGUMENT }
                    let link = Unmanaged<PluginRunnerLink>.fromOpaque(factory).takeUnretainedValue()
                    let reply = link.request(.create, instance: 0)
                    guard reply.status == HERALD_OK else { return RunnerProxy.finish(reply, err, cap) }
                    let proxy = RunnerProxy(link: link, host: host)
                    proxy.state.withLock { $0.remote = reply.instance }
                    link.register(proxy)
                    out.pointee = Unmanaged.passRetained(proxy).toOpaque()
                    return HERALD_OK
                },
                configure: { instance, json, node, err, cap in
                    guard let instance, let json, let node else { return HERALD_ERR_INVALID_ARGUMENT }
                    let proxy = RunnerProxy.from(instance)
                    let wire = RunnerNode(node)
                    let text = String(cString: json)
                    let reply = proxy.call(.configure(json: text, node: wire))
                    if reply.status == HERALD_OK { proxy.state.withLock { $0.configuration = (text, wire) } }
                    return RunnerProxy.finish(reply, err, cap)
                },
                start: { instance, err, cap in
                    guard let instance else { return HERALD_ERR_INVALID_ARGUMENT }
                    let proxy = RunnerProxy.from(instance)
                    let reply = proxy.call(.start)
                    if reply.status == HERALD_OK { proxy.state.withLock { $0.started = true } }
                    return RunnerProxy.finish(reply, err, cap)
                },
                announce: { instance, announcement, err, cap in
                    guard let instance, let announcement else { return HERALD_ERR_INVALID_ARGUMENT }
                    return RunnerProxy.finish(
                        RunnerProxy.from(instance).call(.announce(RunnerAnnouncement(announcement))), err, cap)
                },
                withdraw: { instance, id, err, cap in
                    guard let instance, let id else { return HERALD_ERR_INVALID_ARGUMENT }
                    return RunnerProxy.finish(
                        RunnerProxy.from(instance).call(.withdraw(id: String(cString: id))), err, cap)
                },
                health: { instance, detail, cap in
                    guard let instance else { return HERALD_HEALTH_UNHEALTHY }
                    let proxy = RunnerProxy.from(instance)
                    if let down = proxy.link.down {
                        RunnerProxy.write(down, detail, cap)
                        return HERALD_HEALTH_UNHEALTHY
                    }
                    let reply = proxy.call(.health)
                    if reply.status < HERALD_HEALTH_OK || reply.status > HERALD_HEALTH_UNHEALTHY {
                        RunnerProxy.write(
                            reply.message.isEmpty ? "the plugin runner did not answer" : reply.message, detail, cap)
                        return HERALD_HEALTH_UNHEALTHY
                    }
                    if !reply.message.isEmpty { RunnerProxy.write(reply.message, detail, cap) }
                    return reply.status
                },
                collect_metrics: { instance, sink in
                    guard let instance, let sink, let emit = sink.pointee.emit else { return }
                    let reply = RunnerProxy.from(instance).call(.metrics)
                    guard reply.status == HERALD_OK else { return }
                    for metric in reply.metrics {
                        let arena = CStringArena()
                        defer { arena.free() }
                        let pairs = metric.labels.map {
                            herald_kv(key: arena.copy($0.key), value: arena.copy($0.value))
                        }
                        pairs.withUnsafeBufferPointer { labels in
                            emit(
                                sink.pointee.context, metric.kind, arena.copy(metric.name), metric.help.map(arena.copy),
                                labels.baseAddress, labels.count, metric.value)
                        }
                    }
                },
                stop: { instance in
                    guard let instance else { return }
                    let proxy = RunnerProxy.from(instance)
                    _ = proxy.call(.stop)
                    proxy.state.withLock { $0.started = false }
                },
                destroy: { instance in
                    guard let instance else { return }
                    let proxy = RunnerProxy.from(instance)
                    _ = proxy.call(.destroy)
                    proxy.link.unregister(proxy)
                    Unmanaged<RunnerProxy>.fromOpaque(instance).release()
                },
                get_extension: { _, _ in nil }))
        return UnsafePointer(table)
    }()
}

extension RunnerNode {
    /// The wire form of a C node description (borrowed for the call).
    init(_ n: UnsafePointer<herald_node_info>) {
        let p = n.pointee
        var labels: [RunnerPair] = []
        if let list = p.labels {
            for index in 0..<min(p.label_count, 4096) {
                if let k = list[index].key, let v = list[index].value {
                    labels.append(RunnerPair(key: String(cString: k), value: String(cString: v)))
                }
            }
        }
        var addresses: [String] = []
        if let list = p.addresses {
            for index in 0..<min(p.address_count, 4096) {
                if let a = list[index] { addresses.append(String(cString: a)) }
            }
        }
        self.init(name: p.name.map { String(cString: $0) } ?? "", labels: labels, addresses: addresses)
    }
}
