#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Turns a `HeraldPlugin` type into the C ABI. A plugin exports itself with:
///
/// ```swift
/// import PluginKit
///
/// private let exporter = PluginExporter(MyPlugin.self)
///
/// @c @implementation
/// public func herald_plugin_entry_v1(_ major: UInt32, _ minor: UInt32) -> UnsafePointer<herald_plugin_descriptor>? {
///     exporter.entry(hostMajor: major, hostMinor: minor)
/// }
/// ```
///
/// The exporter builds the descriptor and vtable once; they live until the process exits, as the ABI requires.
///
/// A plugin is a package of its own: a `.library(type: .dynamic)` product whose target depends on
/// `.product(name: "PluginKit", package: "herald")`, built with the toolchain Herald was built with. To export the
/// entry and nothing else, link with a version script the package holds (`{ global: herald_plugin_entry_v1; local:
/// *; };`) through `linkerSettings: [.unsafeFlags(["-Xlinker", "--version-script=…/exports.map"])]`. The README's
/// "Write your own plugin" gives the whole package, and a test builds exactly that.
public final class PluginExporter: @unchecked Sendable {
    // Immutable after init: the pointers are written once here and only read afterwards.
    private let descriptor: UnsafeMutablePointer<herald_plugin_descriptor>

    /// Builds the descriptor and vtable for `type`. Create one per plugin, in a global, as above.
    public init<P: HeraldPlugin>(_ type: P.Type) {
        let info = P.info
        let factory = Factory(
            info: info,
            make: { json, node, host in
                let configuration = try decodeConfiguration(P.Configuration.self, json: json, pluginID: info.id)
                return AnyPlugin(try P(configuration: configuration, node: node, host: host))
            }
        )
        let protocols = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(1, info.protocols.count))
        for (index, name) in info.protocols.enumerated() { protocols[index] = UnsafePointer(strdup(name)) }

        let vtable = UnsafeMutablePointer<herald_plugin_vtable>.allocate(capacity: 1)
        vtable.initialize(to: Self.vtable)

        descriptor = .allocate(capacity: 1)
        descriptor.initialize(
            to: herald_plugin_descriptor(
                struct_size: UInt32(MemoryLayout<herald_plugin_descriptor>.size),
                abi_major: UInt16(HERALD_ABI_MAJOR),
                abi_minor: UInt16(HERALD_ABI_MINOR),
                id: UnsafePointer(strdup(info.id)),
                name: UnsafePointer(strdup(info.name)),
                version: UnsafePointer(strdup(info.version)),
                description: UnsafePointer(strdup(info.description)),
                protocols: UnsafePointer(protocols),
                protocol_count: info.protocols.count,
                flags: info.kind == .exclusive ? HERALD_PLUGIN_EXCLUSIVE : HERALD_PLUGIN_ROUTED,
                vtable: UnsafePointer(vtable),
                factory_context: Unmanaged.passRetained(factory).toOpaque()
            ))
    }

    /// The body of `herald_plugin_entry_v1`: the descriptor, or nil for a host of another major version.
    public func entry(hostMajor: UInt32, hostMinor: UInt32) -> UnsafePointer<herald_plugin_descriptor>? {
        guard hostMajor == UInt32(HERALD_ABI_MAJOR) else { return nil }
        return UnsafePointer(descriptor)
    }

    private static let vtable = herald_plugin_vtable(
        struct_size: UInt32(MemoryLayout<herald_plugin_vtable>.size),
        create: { factoryContext, host, out, err, cap in
            guard let factoryContext, let host, let out else {
                return write(PluginError(.invalidArgument, "create: NULL argument"), err, cap)
            }
            guard host.pointee.abi_major == UInt16(HERALD_ABI_MAJOR) else {
                return write(PluginError(.unsupported, "host ABI major \(host.pointee.abi_major) is not 1"), err, cap)
            }
            let factory = Unmanaged<Factory>.fromOpaque(factoryContext).takeUnretainedValue()
            let box = InstanceBox(factory: factory, host: PluginHost(host))
            out.pointee = Unmanaged.passRetained(box).toOpaque()
            return HERALD_OK
        },
        configure: { instance, json, node, err, cap in
            guard let box = InstanceBox.from(instance) else {
                return write(PluginError(.invalidArgument, "configure: NULL instance"), err, cap)
            }
            let text = json.map { String(cString: $0) } ?? "{}"
            return run(err, cap) { try box.configure(json: text, node: NodeInfo(node)) }
        },
        start: { instance, err, cap in
            guard let box = InstanceBox.from(instance) else {
                return write(PluginError(.invalidArgument, "start: NULL instance"), err, cap)
            }
            return run(err, cap) { try box.start() }
        },
        announce: { instance, announcement, err, cap in
            guard let box = InstanceBox.from(instance) else {
                return write(PluginError(.invalidArgument, "announce: NULL instance"), err, cap)
            }
            guard let announcement, let value = Announcement(announcement) else {
                return write(PluginError(.invalidArgument, "announce: malformed announcement"), err, cap)
            }
            return run(err, cap) { try box.started().announce(value) }
        },
        withdraw: { instance, id, err, cap in
            guard let box = InstanceBox.from(instance), let id else {
                return write(PluginError(.invalidArgument, "withdraw: NULL argument"), err, cap)
            }
            return run(err, cap) { try box.started().withdraw(String(cString: id)) }
        },
        health: { instance, detail, cap in
            guard let box = InstanceBox.from(instance) else { return HERALD_HEALTH_UNHEALTHY }
            let health = box.plugin?.health() ?? .ok
            if let text = health.detail { copy(text, into: detail, cap) }
            return health.code
        },
        collect_metrics: { instance, sink in
            guard let box = InstanceBox.from(instance), let sink, let plugin = box.plugin else { return }
            plugin.collectMetrics(MetricsWriter(sink: sink))
        },
        stop: { instance in
            InstanceBox.from(instance)?.stop()
        },
        destroy: { instance in
            guard let instance else { return }
            let box = Unmanaged<InstanceBox>.fromOpaque(instance)
            box.takeUnretainedValue().stop()
            box.release()
        },
        get_extension: { instance, id in
            guard let box = InstanceBox.from(instance), let id, let plugin = box.plugin else { return nil }
            let name = String(cString: id)
            if name == HERALD_EXT_LIFECYCLE { return UnsafeRawPointer(PluginExporter.lifecycle) }
            return plugin.extension(name)
        }
    )

    /// The `herald.lifecycle/1` table every Swift plugin offers; `prepareStop` answers it. Written once, then only
    /// read.
    nonisolated(unsafe) private static let lifecycle: UnsafeMutablePointer<herald_lifecycle_ext> = {
        let table = UnsafeMutablePointer<herald_lifecycle_ext>.allocate(capacity: 1)
        table.initialize(
            to: herald_lifecycle_ext(
                struct_size: UInt32(MemoryLayout<herald_lifecycle_ext>.size),
                prepare_stop: { instance, reason, err, cap in
                    guard let box = InstanceBox.from(instance) else { return HERALD_ERR_INVALID_ARGUMENT }
                    guard let reason = StopReason(rawValue: reason) else {
                        copy("unknown stop reason \(reason)", into: err, cap)
                        return HERALD_ERR_INVALID_ARGUMENT
                    }
                    guard box.state == .started, let plugin = box.plugin else {
                        copy("prepare_stop while \(box.state), not started", into: err, cap)
                        return HERALD_ERR_STATE
                    }
                    return plugin.prepareStop(reason) ? HERALD_OK : HERALD_ERR_UNSUPPORTED
                }))
        return table
    }()
}

/// Makes instances of one plugin type; the descriptor's factory_context.
final class Factory: @unchecked Sendable {
    // Immutable after init.
    let info: PluginInfo
    let make: (String, NodeInfo, PluginHost) throws -> AnyPlugin

    init(info: PluginInfo, make: @escaping (String, NodeInfo, PluginHost) throws -> AnyPlugin) {
        self.info = info
        self.make = make
    }
}

/// Type-erased plugin calls, so the C functions above need no generics.
struct AnyPlugin {
    let start: () throws -> Void
    let announce: (Announcement) throws -> Void
    let withdraw: (String) throws -> Void
    let stop: () -> Void
    let reconfigure: (String) throws -> Void
    let health: () -> Health
    let collectMetrics: (MetricsWriter) -> Void
    let `extension`: (String) -> UnsafeRawPointer?
    let prepareStop: (StopReason) -> Bool

    init<P: HeraldPlugin>(_ plugin: P) {
        start = plugin.start
        announce = plugin.announce
        withdraw = { try plugin.withdraw(id: $0) }
        stop = plugin.stop
        reconfigure = { json in
            try plugin.reconfigure(decodeConfiguration(P.Configuration.self, json: json, pluginID: P.info.id))
        }
        health = plugin.health
        collectMetrics = { plugin.collectMetrics(into: $0) }
        `extension` = { plugin.extension($0) }
        prepareStop = { plugin.prepareStop($0) }
    }
}

/// One instance's state: the ABI lets the host call in any order, so the kit enforces the lifecycle.
final class InstanceBox {
    // Not Sendable: the host serialises every call on one instance (herald_plugin.h, "THREADING").
    enum State { case created, configured, started, stopped }

    let factory: Factory
    let host: PluginHost
    var plugin: AnyPlugin?
    var state = State.created

    init(factory: Factory, host: PluginHost) {
        self.factory = factory
        self.host = host
    }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> InstanceBox? {
        pointer.map { Unmanaged<InstanceBox>.fromOpaque($0).takeUnretainedValue() }
    }

    func configure(json: String, node: NodeInfo) throws {
        switch state {
        case .created:
            plugin = try factory.make(json, node, host)
            state = .configured
        case .configured:
            plugin = try factory.make(json, node, host)
        case .started:
            try plugin!.reconfigure(json)
        case .stopped:
            throw PluginError(.state, "configure after stop")
        }
    }

    func start() throws {
        switch state {
        case .created: throw PluginError(.state, "start before configure")
        case .configured:
            try plugin!.start()
            state = .started
        case .started: return
        case .stopped: throw PluginError(.state, "start after stop: create a new instance")
        }
    }

    func started() throws -> AnyPlugin {
        guard state == .started, let plugin else {
            throw PluginError(.state, "the instance is \(state), not started")
        }
        return plugin
    }

    func stop() {
        if state == .started { plugin?.stop() }
        if state != .created { state = .stopped }
    }
}

func decodeConfiguration<C: Decodable>(_ type: C.Type, json: String, pluginID: String) throws -> C {
    do {
        return try JSONDecoder().decode(C.self, from: Data(json.utf8))
    } catch let error as PluginError {
        throw error
    } catch let DecodingError.typeMismatch(expected, context) {
        throw PluginError(.config, "config.\(path(context)): expected \(describe(expected))")
    } catch let DecodingError.valueNotFound(expected, context) {
        throw PluginError(.config, "config.\(path(context)): expected \(describe(expected)), found null")
    } catch let DecodingError.keyNotFound(key, context) {
        throw PluginError(.config, "config.\(configPath(context.codingPath + [key])): required key is missing")
    } catch let DecodingError.dataCorrupted(context) {
        throw PluginError(.config, "config.\(path(context)): \(context.debugDescription)")
    } catch {
        throw PluginError(.config, "config: \(error)")
    }
}

private func path(_ context: DecodingError.Context) -> String { configPath(context.codingPath) }

private func describe(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Bool.Type: "true or false"
    case is Int.Type, is Int32.Type, is UInt32.Type, is UInt16.Type, is UInt8.Type, is Int64.Type, is UInt64.Type:
        "an integer"
    case is Double.Type: "a number"
    default: "\(type)"
    }
}

/// Runs a throwing body and turns its error into a status code plus text in the caller's buffer.
private func run(_ err: UnsafeMutablePointer<CChar>?, _ cap: Int, _ body: () throws -> Void) -> herald_status {
    do {
        try body()
        return HERALD_OK
    } catch let error as PluginError {
        return write(error, err, cap)
    } catch {
        return write(PluginError(.internal, "\(error)"), err, cap)
    }
}

private func write(_ error: PluginError, _ err: UnsafeMutablePointer<CChar>?, _ cap: Int) -> herald_status {
    copy(error.message, into: err, cap)
    return error.code.rawValue
}

/// Copies UTF-8 text into a caller-owned buffer, truncating on a scalar boundary and always NUL-terminating.
func copy(_ text: String, into buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int) {
    guard let buffer, capacity > 0 else { return }
    var bytes: [UInt8] = []
    for scalar in text.unicodeScalars {
        let encoded = Array(String(scalar).utf8)
        if bytes.count + encoded.count > capacity - 1 { break }
        bytes += encoded
    }
    buffer.withMemoryRebound(to: UInt8.self, capacity: capacity) { target in
        for (index, byte) in bytes.enumerated() { target[index] = byte }
        target[bytes.count] = 0
    }
}
