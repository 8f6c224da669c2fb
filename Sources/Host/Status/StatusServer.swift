import Dispatch
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The status endpoints over HTTP/1.1: `GET /metrics` (Prometheus text), `GET /healthz` (the process serves) and
/// `GET /readyz` (every plugin instance runs and none is unhealthy; JSON detail). A port that cannot be bound is
/// logged and leaves the endpoints off: announcing matters more than being observed, so the host keeps running.
public final class StatusServer: Service, Sendable {
    public let host: String
    public let port: Int
    let snapshot: @Sendable () -> StatusSnapshot
    let logger: Logger

    public init(host: String, port: Int, logger: Logger, snapshot: @escaping @Sendable () -> StatusSnapshot) {
        self.host = host
        self.port = port
        self.logger = logger
        self.snapshot = snapshot
    }

    /// `host:port`, with an IPv6 host in brackets.
    func authority(port: Int) -> String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public func run() async throws {
        let snapshot = self.snapshot
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(StatusHandler(snapshot: snapshot))
                    }
                }
                .bind(host: host, port: port).get()
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

/// Answers one request at a time per connection (HTTP pipelining is ordered by NIO's server pipeline).
final class StatusHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let snapshot: @Sendable () -> StatusSnapshot
    private var head: HTTPRequestHead?

    init(snapshot: @escaping @Sendable () -> StatusSnapshot) { self.snapshot = snapshot }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let request = head else { return }
            head = nil
            respond(context, request)
        }
    }

    /// Takes the snapshot on a Dispatch thread (it calls into every plugin instance, which may wait for a call in
    /// progress), never on the event loop, then writes the answer on the loop.
    private func respond(_ context: ChannelHandlerContext, _ request: HTTPRequestHead) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
        let snapshot = self.snapshot
        DispatchQueue.global().async {
            let answer = StatusRoutes.answer(method: request.method, uri: request.uri, snapshot: snapshot)
            loop.execute { bound.value.handler.write(answer, to: request, bound.value.context) }
        }
    }

    private func write(_ answer: StatusRoutes.Answer, to request: HTTPRequestHead, _ context: ChannelHandlerContext) {
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

    static func answer(method: HTTPMethod, uri: String, snapshot: () -> StatusSnapshot) -> Answer {
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
            return Answer(status: .ok, contentType: PrometheusText.contentType, body: PrometheusText.render(snapshot()))
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
