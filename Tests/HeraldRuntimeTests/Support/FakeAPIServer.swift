import Foundation
import HeraldKube
import HeraldKubeModels
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An API server in memory, over plain HTTP, with what the allocator uses: Services and Namespaces (list and watch),
/// status merge patches (with the optimistic-concurrency check of a `metadata.resourceVersion` in the patch), Leases
/// (get, create, conditional replace) and Events. Every request is logged with the client's bearer token, its
/// arrival time and the status answered; the Lease requests of chosen clients can be left unanswered (a stalled API
/// server as that client sees it), and a hook can change a Service just before a client's status patch of it lands.
final class FakeAPIServer: Sendable {
    /// One request as the server saw it.
    struct Request: Sendable {
        var method: String
        var path: String
        var client: String
        var at: ContinuousClock.Instant
        var body: String
        /// The status answered; 0 for a request left unanswered.
        var status: Int
    }

    typealias Hook = @Sendable (inout Service) -> Void

    struct Watcher {
        var id: Int
        var plural: String
        var push: @Sendable (String) -> Void
    }

    struct State {
        var revision: UInt64 = 100
        var services: [String: Service] = [:]
        var namespaces: [String: Namespace] = [:]
        var leases: [String: Lease] = [:]
        var log: [Request] = []
        var stalled: Set<String> = []
        var hooks: [String: (client: String, hook: Hook)] = [:]
        var watchers: [Watcher] = []
        var nextWatcher = 0
        /// Every watch line so far, per resource, with its revision (a watch opened late replays what it missed).
        var history: [String: [(UInt64, String)]] = [:]
        /// The ingress addresses each Service's status showed, in order, and who wrote them.
        var statuses: [String: [(client: String, addresses: [String])]] = [:]

        mutating func bump() -> String {
            revision += 1
            return String(revision)
        }
    }

    let state = Mutex(State())
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let channel: any Channel

    /// Starts listening on 127.0.0.1, on a free port.
    init() async throws {
        let holder = Holder()
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(FakeAPIHandler(server: holder))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        holder.server.withLock { $0 = self }
    }

    /// The server's URL.
    var url: String { "http://127.0.0.1:\(channel.localAddress?.port ?? 0)" }

    /// A client that authenticates as `name` (its bearer token), with the client's default timeouts.
    func client(_ name: String) throws -> KubeClient {
        try KubeClient(
            configuration: KubeClientConfiguration(server: url, token: TokenSource(token: name)),
            logger: .init(label: "fake.\(name)") { _ in SwiftLogNoOpLogHandler() })
    }

    func stop() async throws {
        try? await channel.close()
        try await group.shutdownGracefully()
    }

    // MARK: What tests do

    var requests: [Request] { state.withLock { $0.log } }

    /// Leaves every Lease request of `client` unanswered from now on (the connection stays open).
    func stallLeases(of client: String) { _ = state.withLock { $0.stalled.insert(client) } }

    /// Runs `hook` on Service `key` just before the next status patch of it by `client` is applied.
    func beforeNextStatusPatch(of key: String, by client: String, _ hook: @escaping Hook) {
        state.withLock { $0.hooks[key] = (client, hook) }
    }

    /// Creates or replaces a Service, as another client would.
    func put(_ service: Service) {
        var service = service
        let key = service.key
        let (watchers, line) = state.withLock { s in
            let type = s.services[key] == nil ? "ADDED" : "MODIFIED"
            service.metadata.resourceVersion = s.bump()
            s.services[key] = service
            return s.publish(type, service, plural: "services")
        }
        for w in watchers { w.push(line) }
    }

    func put(_ namespace: Namespace) {
        var namespace = namespace
        let (watchers, line) = state.withLock { s in
            namespace.metadata.resourceVersion = s.bump()
            s.namespaces[namespace.key] = namespace
            return s.publish("ADDED", namespace, plural: "namespaces")
        }
        for w in watchers { w.push(line) }
    }

    func service(_ key: String) -> Service? { state.withLock { $0.services[key] } }

    func statusHistory(_ key: String) -> [(client: String, addresses: [String])] {
        state.withLock { $0.statuses[key] ?? [] }
    }

    // MARK: Serving

    enum Outcome {
        case answer(Int, String)
        case stall
        case watch(plural: String, from: UInt64)
    }

    func handle(method: String, uri: String, client: String, body: String) -> Outcome {
        let parts = uri.split(separator: "?", maxSplits: 1).map(String.init)
        let path = parts[0]
        let query = parts.count > 1 ? parts[1] : ""
        let segments = path.split(separator: "/").map(String.init)
        let (outcome, pushes) = state.withLock { s -> (Outcome, [(Watcher, String)]) in
            var pushes: [(Watcher, String)] = []
            let outcome = s.route(
                method: method, segments: segments, query: query, client: client, body: body, pushes: &pushes)
            var status = 0
            if case .answer(let code, _) = outcome { status = code }
            if case .watch = outcome { status = 200 }
            s.log.append(
                Request(method: method, path: path, client: client, at: .now, body: body, status: status))
            return (outcome, pushes)
        }
        for (w, line) in pushes { w.push(line) }
        return outcome
    }

    func addWatcher(plural: String, from: UInt64, push: @escaping @Sendable (String) -> Void) {
        let backlog = state.withLock { s -> [String] in
            let id = s.nextWatcher
            s.nextWatcher += 1
            s.watchers.append(Watcher(id: id, plural: plural, push: push))
            return (s.history[plural] ?? []).filter { $0.0 > from }.map(\.1)
        }
        for line in backlog { push(line) }
    }
}

/// The server, for handlers created before the server's initializer finished.
final class Holder: Sendable {
    let server = Mutex<FakeAPIServer?>(nil)
}

extension FakeAPIServer.State {
    static func json(_ value: some Encodable) -> String {
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data(), as: UTF8.self)
    }

    static func status(_ code: Int, _ reason: String, _ message: String) -> FakeAPIServer.Outcome {
        struct Status: Encodable {
            var kind = "Status"
            var apiVersion = "v1"
            var status = "Failure"
            var message: String
            var reason: String
            var code: Int
        }
        return .answer(code, json(Status(message: message, reason: reason, code: code)))
    }

    mutating func publish(
        _ type: String, _ object: some Encodable, plural: String
    ) -> ([FakeAPIServer.Watcher], String) {
        let line = Self.json(WatchLine(type: type, object: object)) + "\n"
        history[plural, default: []].append((revision, line))
        return (watchers.filter { $0.plural == plural }, line)
    }

    mutating func list<T: Encodable>(_ items: [T], kind: String) -> FakeAPIServer.Outcome {
        return .answer(
            200,
            Self.json(ListBody(kind: kind, metadata: ListBodyMeta(resourceVersion: String(revision)), items: items)))
    }

    mutating func route(
        method: String, segments: [String], query: String, client: String, body: String,
        pushes: inout [(FakeAPIServer.Watcher, String)]
    ) -> FakeAPIServer.Outcome {
        let watch = query.split(separator: "&").contains("watch=1")
        let from =
            query.split(separator: "&").first { $0.hasPrefix("resourceVersion=") }
            .flatMap { UInt64($0.dropFirst("resourceVersion=".count)) } ?? revision
        let s = segments
        let path = s.joined(separator: "/")
        if method == "GET", path == "api/v1/services" {
            if watch { return .watch(plural: "services", from: from) }
            return list(services.values.sorted { $0.key < $1.key }, kind: "ServiceList")
        }
        if method == "GET", path == "api/v1/namespaces" {
            if watch { return .watch(plural: "namespaces", from: from) }
            return list(namespaces.values.sorted { $0.key < $1.key }, kind: "NamespaceList")
        }
        if method == "PATCH", s.count == 7, path.hasPrefix("api/v1/namespaces/"), s[4] == "services", s[6] == "status" {
            return patchStatus(key: "\(s[3])/\(s[5])", client: client, body: body, pushes: &pushes)
        }
        if s.count >= 5, path.hasPrefix("api/v1/namespaces/"), s[4] == "events" {
            return .answer(201, body)
        }
        if s.count == 6 || s.count == 7, path.hasPrefix("apis/coordination.k8s.io/v1/namespaces/"), s[5] == "leases" {
            if stalled.contains(client) { return .stall }
            return lease(method: method, key: s.count == 7 ? "\(s[4])/\(s[6])" : nil, body: body)
        }
        return Self.status(404, "NotFound", "no route for \(method) /\(path)")
    }

    mutating func lease(method: String, key: String?, body: String) -> FakeAPIServer.Outcome {
        switch (method, key) {
        case ("GET", let key?):
            guard let lease = leases[key] else { return Self.status(404, "NotFound", "lease \(key) not found") }
            return .answer(200, Self.json(lease))
        case ("POST", nil), ("PUT", _):
            guard var lease = try? JSONDecoder().decode(Lease.self, from: Data(body.utf8)) else {
                return Self.status(400, "BadRequest", "not a Lease")
            }
            let key = lease.key
            if method == "POST", leases[key] != nil { return Self.status(409, "AlreadyExists", "\(key) exists") }
            if method == "PUT", lease.metadata.resourceVersion != leases[key]?.metadata.resourceVersion {
                return Self.status(409, "Conflict", "the object has been modified")
            }
            lease.metadata.resourceVersion = bump()
            leases[key] = lease
            return .answer(method == "POST" ? 201 : 200, Self.json(lease))
        default:
            return Self.status(405, "MethodNotAllowed", "\(method) on leases")
        }
    }

    mutating func patchStatus(
        key: String, client: String, body: String, pushes: inout [(FakeAPIServer.Watcher, String)]
    ) -> FakeAPIServer.Outcome {
        if let (who, hook) = hooks[key], who == client, var service = services[key] {
            hooks[key] = nil
            hook(&service)
            service.metadata.resourceVersion = bump()
            services[key] = service
            let (watchers, line) = publish("MODIFIED", service, plural: "services")
            pushes += watchers.map { ($0, line) }
        }
        guard var service = services[key] else { return Self.status(404, "NotFound", "service \(key) not found") }
        guard let patch = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] else {
            return Self.status(400, "BadRequest", "not JSON")
        }
        let metadata = patch["metadata"] as? [String: Any]
        if let version = metadata?["resourceVersion"] as? String, version != service.metadata.resourceVersion {
            return Self.status(
                409, "Conflict",
                "Operation cannot be fulfilled on services \"\(key)\": the object has been modified; please apply your "
                    + "changes to the latest version and try again")
        }
        for (name, value) in metadata?["annotations"] as? [String: Any] ?? [:] {
            var annotations = service.metadata.annotations ?? [:]
            annotations[name] = value as? String
            service.metadata.annotations = annotations.isEmpty ? nil : annotations
        }
        let status = patch["status"] as? [String: Any]
        let balancer = status?["loadBalancer"] as? [String: Any]
        if let ingress = balancer?["ingress"] as? [[String: Any]] {
            let addresses = ingress.compactMap { $0["ip"] as? String }
            service.status = .init(loadBalancer: .init(ingress: addresses.map { .init(ip: $0) }))
            statuses[key, default: []].append((client, addresses))
        }
        service.metadata.resourceVersion = bump()
        services[key] = service
        let (watchers, line) = publish("MODIFIED", service, plural: "services")
        pushes += watchers.map { ($0, line) }
        return .answer(200, Self.json(service))
    }
}

/// One connection: answers requests, holds stalled ones, streams watches.
final class FakeAPIHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: Holder
    var head: HTTPRequestHead?
    var body = ByteBuffer()

    init(server: Holder) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
        case .body(var chunk): body.writeBuffer(&chunk)
        case .end:
            guard let request = head, let server = server.server.withLock({ $0 }) else { return }
            head = nil
            let token = request.headers["Authorization"].first?.replacingOccurrences(of: "Bearer ", with: "") ?? ""
            let outcome = server.handle(
                method: request.method.rawValue, uri: request.uri, client: token,
                body: String(buffer: body))
            switch outcome {
            case .stall: break
            case .answer(let code, let text):
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: "\(text.utf8.count)")
                context.write(
                    wrapOutboundOut(
                        .head(
                            HTTPResponseHead(
                                version: request.version, status: .init(statusCode: code), headers: headers))
                    ), promise: nil)
                context.write(
                    wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            case .watch(let plural, let from):
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Transfer-Encoding", value: "chunked")
                context.writeAndFlush(
                    wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: .ok, headers: headers))),
                    promise: nil)
                let loop = context.eventLoop
                let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
                server.addWatcher(plural: plural, from: from) { line in
                    loop.execute {
                        let (handler, context) = bound.value
                        guard context.channel.isActive else { return }
                        context.writeAndFlush(
                            handler.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: line)))),
                            promise: nil)
                    }
                }
            }
        }
    }
}

struct WatchLine<T: Encodable>: Encodable {
    var type: String
    var object: T
}

struct ListBodyMeta: Encodable { var resourceVersion: String }

struct ListBody<T: Encodable>: Encodable {
    var kind: String
    var apiVersion = "v1"
    var metadata: ListBodyMeta
    var items: [T]
}
