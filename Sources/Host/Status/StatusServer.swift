import Dispatch
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The status endpoints over HTTP/1.1: `GET /metrics` (the Prometheus registry of ``HeraldMetrics``, brought to a
/// snapshot first), `GET /healthz` (the process serves) and
/// `GET /readyz` (every plugin instance runs and none is unhealthy; JSON detail). A port that cannot be bound is
/// logged and leaves the endpoints off: announcing matters more than being observed, so the host keeps running.
///
/// Connections are bounded: at most `maxConnections` at once (one more is closed as soon as it is accepted), and a
/// connection that sends nothing for `idleTimeout` while no answer is pending is closed, so clients that open
/// connections and stay silent cannot hold the endpoints.
package final class StatusServer: Service, Sendable {
    package let host: String
    package let port: Int
    package let maxConnections: Int
    package let idleTimeout: Duration
    let snapshot: @Sendable () -> StatusSnapshot
    /// The registry `/metrics` renders, brought to each snapshot first.
    package let metrics: HeraldMetrics
    let logger: Logger
    let connections = ConnectionCount()

    package init(
        host: String, port: Int, maxConnections: Int = 64, idleTimeout: Duration = .seconds(10), logger: Logger,
        metrics: HeraldMetrics = HeraldMetrics(), snapshot: @escaping @Sendable () -> StatusSnapshot
    ) {
        self.metrics = metrics
        self.host = host
        self.port = port
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.logger = logger
        self.snapshot = snapshot
    }

    /// `host:port`, with an IPv6 host in brackets.
    func authority(port: Int) -> String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Listens; the returned channel serves until it is closed.
    func bind() async throws -> any Channel {
        let (snapshot, metrics) = (self.snapshot, self.metrics)
        let (connections, limit) = (self.connections, maxConnections)
        let idle = TimeAmount.nanoseconds(
            idleTimeout.components.seconds * 1_000_000_000 + idleTimeout.components.attoseconds / 1_000_000_000)
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                // Refused: the bootstrap closes a connection whose initializer fails.
                guard connections.open(limit: limit) else {
                    return channel.eventLoop.makeFailedFuture(ConnectionCount.Full(limit: limit))
                }
                channel.closeFuture.whenComplete { _ in connections.closed() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(StatusHandler(metrics: metrics, snapshot: snapshot))
                }
            }
            .bind(host: host, port: port).get()
    }

    package func run() async throws {
        let channel: any Channel
        do {
            channel = try await bind()
        } catch {
            let wanted = authority(port: port)
            logger.error(
                "status endpoints are off: cannot listen on \(wanted): \(error)", metadata: ["address": "\(wanted)"])
            return
        }
        let listening = authority(port: channel.localAddress?.port ?? port)
        logger.info(
            "status endpoints: http://\(listening)/metrics, /healthz, /readyz", metadata: ["address": "\(listening)"])
        try? await gracefulShutdown()
        try? await channel.close()
    }
}

/// The number of open connections, shared by every connection's event loop.
final class ConnectionCount: Sendable {
    let count = Mutex(0)

    /// Counts one more connection unless `limit` are open.
    func open(limit: Int) -> Bool {
        count.withLock { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
    }

    func closed() { count.withLock { $0 -= 1 } }

    var current: Int { count.withLock { $0 } }

    struct Full: Error, CustomStringConvertible {
        var limit: Int
        var description: String { "the status endpoints serve \(limit) connections at most" }
    }
}

/// Answers one request at a time per connection (HTTP pipelining is ordered by NIO's server pipeline); closes the
/// connection when it has been read-idle for the idle timeout with no answer pending.
final class StatusHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let snapshot: @Sendable () -> StatusSnapshot
    let metrics: HeraldMetrics
    private var head: HTTPRequestHead?
    /// Requests read and not answered yet.
    private var pending = 0

    init(metrics: HeraldMetrics, snapshot: @escaping @Sendable () -> StatusSnapshot) {
        self.metrics = metrics
        self.snapshot = snapshot
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let request = head else { return }
            head = nil
            pending += 1
            respond(context, request)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if pending == 0 { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Takes the snapshot on a Dispatch thread (it calls into every plugin instance, which may wait for a call in
    /// progress), never on the event loop, then writes the answer on the loop.
    private func respond(_ context: ChannelHandlerContext, _ request: HTTPRequestHead) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
        let (snapshot, metrics) = (self.snapshot, self.metrics)
        DispatchQueue.global().async {
            let answer = StatusRoutes.answer(
                method: request.method, uri: request.uri, metrics: metrics, snapshot: snapshot)
            loop.execute { bound.value.handler.write(answer, to: request, bound.value.context) }
        }
    }

    private func write(_ answer: StatusRoutes.Answer, to request: HTTPRequestHead, _ context: ChannelHandlerContext) {
        pending -= 1
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: answer.contentType)
        headers.add(name: "Content-Length", value: "\(answer.body.utf8.count)")
        headers.add(name: "Cache-Control", value: "no-store")
        if answer.status == .methodNotAllowed { headers.add(name: "Allow", value: "GET, HEAD") }
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: answer.status, headers: headers))),
            promise: nil)
        if request.method != .HEAD {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: answer.body)))),
                promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}

/// What each path answers (no I/O of its own).
enum StatusRoutes {
    struct Answer {
        var status: HTTPResponseStatus
        var contentType: String
        var body: String
    }

    static func answer(
        method: HTTPMethod, uri: String, metrics: HeraldMetrics, snapshot: () -> StatusSnapshot
    ) -> Answer {
        let path = String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        let text = "text/plain; charset=utf-8"
        guard ["/metrics", "/healthz", "/readyz"].contains(path) else {
            return Answer(status: .notFound, contentType: text, body: "not found: try /metrics, /healthz or /readyz\n")
        }
        guard method == .GET || method == .HEAD else {
            return Answer(status: .methodNotAllowed, contentType: text, body: "only GET and HEAD\n")
        }
        switch path {
        case "/metrics":
            return Answer(status: .ok, contentType: HeraldMetrics.contentType, body: metrics.render(snapshot()))
        case "/healthz":
            if let stalled = snapshot().stalled {
                return Answer(status: .serviceUnavailable, contentType: text, body: "not live: \(stalled)\n")
            }
            return Answer(status: .ok, contentType: text, body: "ok\n")
        default:
            let (ready, body) = Readiness.evaluate(snapshot())
            return Answer(status: ready ? .ok : .serviceUnavailable, contentType: "application/json", body: body)
        }
    }
}
