import AsyncHTTPClient
import Foundation
import HeraldKubeModels
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL

/// A small Kubernetes API client over async-http-client: typed list, get, create, replace, patch, delete and watch.
/// Errors are ``KubeError``s naming the request, the server and the `Status` reason.
public final class KubeClient: Sendable {
    /// The configuration this client was made from.
    public let configuration: KubeClientConfiguration
    let http: HTTPClient
    let logger: Logger
    let requestTimeout: Duration

    /// Kinds of PATCH body.
    public enum PatchType: String, Sendable {
        case merge = "application/merge-patch+json"
        case strategicMerge = "application/strategic-merge-patch+json"
        case json = "application/json-patch+json"
    }

    /// Creates a client. Throws a `.tls` error if the CA or client certificate cannot be loaded.
    public init(configuration: KubeClientConfiguration, logger: Logger, requestTimeout: Duration = .seconds(30)) throws
    {
        self.configuration = configuration
        self.logger = logger
        self.requestTimeout = requestTimeout
        for warning in configuration.securityWarnings { logger.warning("\(warning)") }
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = configuration.certificateAuthorityPEM {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            }
            if let cert = configuration.clientCertificatePEM, let key = configuration.clientKeyPEM {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(cert).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            }
        } catch {
            throw KubeError(.tls, "cannot load TLS material from \(configuration.origin): \(error)")
        }
        if configuration.insecureSkipTLSVerify { tls.certificateVerification = .none }
        var http = HTTPClient.Configuration()
        http.tlsConfiguration = tls
        http.redirectConfiguration = .disallow
        http.httpVersion = .http1Only
        http.timeout = .init(connect: .seconds(5), read: nil)
        http.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        // Fail fast on connect errors: callers (reflectors, electors) own the retry policy and its backoff.
        http.connectionPool.retryConnectionEstablishment = false
        self.http = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: http, backgroundActivityLogger: logger)
    }

    /// Closes every connection. Call once, after the last request.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    // MARK: Typed operations

    /// Lists one page.
    public func list<T: KubeResource>(
        _ type: T.Type, namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
        limit: Int? = nil, continue token: String? = nil, resourceVersion: String? = nil
    ) async throws -> KubeList<T> {
        var query: [(String, String)] = []
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }
        if let limit { query.append(("limit", String(limit))) }
        if let token { query.append(("continue", token)) }
        if let resourceVersion { query.append(("resourceVersion", resourceVersion)) }
        return try await decode(.GET, T.collectionPath(namespace: namespace), query: query)
    }

    /// Lists every page (`limit`/`continue`) and returns the items and the list's resourceVersion.
    public func listAll<T: KubeResource>(
        _ type: T.Type, namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
        pageSize: Int = 500
    ) async throws -> (items: [T], resourceVersion: String) {
        var items: [T] = []
        var token: String?
        var resourceVersion = ""
        repeat {
            let page = try await list(
                T.self, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector,
                limit: pageSize,
                continue: token)
            items.append(contentsOf: page.items)
            resourceVersion = page.metadata.resourceVersion ?? resourceVersion
            token = page.metadata.continue.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return (items, resourceVersion)
    }

    /// Reads one object.
    public func get<T: KubeResource>(_ type: T.Type, name: String, namespace: String? = nil) async throws -> T {
        try await decode(.GET, T.objectPath(name: name, namespace: namespace))
    }

    /// Creates an object (POST); `metadata.namespace` picks the namespace. Returns the stored object.
    public func create<T: KubeResource>(_ object: T) async throws -> T {
        try await decode(.POST, T.collectionPath(namespace: object.metadata.namespace), body: try encode(object))
    }

    /// Replaces an object (PUT). The object's `metadata.resourceVersion` makes it conditional: a stale one answers
    /// 409 Conflict. Use only for types whose every field Herald models (Lease).
    public func replace<T: KubeResource>(_ object: T) async throws -> T {
        guard let name = object.metadata.name else { throw KubeError(.http, "replace needs metadata.name") }
        return try await decode(
            .PUT, T.objectPath(name: name, namespace: object.metadata.namespace), body: try encode(object))
    }

    /// Patches an object or a subresource (`status`) with a JSON body of the given patch type.
    public func patch<T: KubeResource>(
        _ type: T.Type, name: String, namespace: String? = nil, subresource: String? = nil, patch: PatchType = .merge,
        body: [UInt8]
    ) async throws -> T {
        var buffer = ByteBuffer()
        buffer.writeBytes(body)
        return try await decode(
            .PATCH, T.objectPath(name: name, namespace: namespace, subresource: subresource), body: buffer,
            contentType: patch.rawValue)
    }

    /// Patches with an `Encodable` merge-patch body (nil optionals are omitted, so they leave fields untouched).
    public func mergePatch<T: KubeResource>(
        _ type: T.Type, name: String, namespace: String? = nil, subresource: String? = nil, body: some Encodable
    ) async throws -> T {
        let data = try JSONEncoder().encode(body)
        return try await patch(type, name: name, namespace: namespace, subresource: subresource, body: Array(data))
    }

    /// Writes a Service's `status.loadBalancer` through the `/status` subresource with a merge patch.
    public func patchServiceStatus(
        namespace: String, name: String, loadBalancer: Service.LoadBalancerStatus
    ) async throws
        -> Service
    {
        struct Body: Encodable {
            struct Status: Encodable { var loadBalancer: Service.LoadBalancerStatus }
            var status: Status
        }
        var lb = loadBalancer
        if lb.ingress == nil { lb.ingress = [] }
        return try await mergePatch(
            Service.self, name: name, namespace: namespace, subresource: "status",
            body: Body(status: .init(loadBalancer: lb)))
    }

    /// Deletes an object; with `resourceVersion`, only if it is unchanged (409 otherwise).
    public func delete<T: KubeResource>(
        _ type: T.Type, name: String, namespace: String? = nil, resourceVersion: String? = nil
    ) async throws {
        var body: ByteBuffer?
        if let resourceVersion {
            body = ByteBuffer(
                string:
                    #"{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"resourceVersion":"\#(resourceVersion)"}}"#
            )
        }
        _ = try await send(.DELETE, T.objectPath(name: name, namespace: namespace), body: body)
    }

    /// Watches a collection from `resourceVersion`, with bookmarks, until the server closes the stream after about
    /// `timeoutSeconds`. A too-old resourceVersion arrives as an `.error` event with code 410; the stream then ends.
    public func watch<T: KubeResource>(
        _ type: T.Type, namespace: String? = nil, resourceVersion: String?, timeoutSeconds: Int = 300,
        labelSelector: String? = nil, fieldSelector: String? = nil, allowBookmarks: Bool = true
    ) -> AsyncThrowingStream<WatchEvent<T>, any Error> {
        var query: [(String, String)] = [("watch", "1"), ("timeoutSeconds", String(timeoutSeconds))]
        if let resourceVersion, !resourceVersion.isEmpty { query.append(("resourceVersion", resourceVersion)) }
        if allowBookmarks { query.append(("allowWatchBookmarks", "true")) }
        if let labelSelector { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector { query.append(("fieldSelector", fieldSelector)) }
        let path = T.collectionPath(namespace: namespace)
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: WatchEvent<T>.self)
        let task = Task {
            do {
                let response = try await self.send(
                    .GET, path, query: query, timeout: .seconds(Int64(timeoutSeconds) + 30), collectBody: false)
                var splitter = LineSplitter()
                let decoder = WatchEventDecoder<T>()
                for try await chunk in response.body {
                    try splitter.append(chunk) { continuation.yield(try decoder.decode($0)) }
                }
                if let last = splitter.remainder { continuation.yield(try decoder.decode(last)) }
                continuation.finish()
            } catch let error as KubeError {
                continuation.finish(throwing: error)
            } catch is CancellationError {
                continuation.finish(throwing: CancellationError())
            } catch {
                continuation.finish(throwing: self.transportError(error, "GET \(path) (watch)"))
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    // MARK: HTTP

    private func encode<T: Encodable>(_ value: T) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try JSONEncoder().encode(value, into: &buffer)
        return buffer
    }

    private func decode<T: Decodable>(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: ByteBuffer? = nil,
        contentType: String = "application/json"
    ) async throws -> T {
        let (_, bytes) = try await sendCollecting(method, path, query: query, body: body, contentType: contentType)
        do {
            return try JSONDecoder().decode(T.self, from: bytes)
        } catch {
            throw KubeError(
                .decoding, "cannot decode \(T.self): \(error)", endpoint: configuration.endpoint,
                request: "\(method) \(path)")
        }
    }

    @discardableResult
    private func send(_ method: HTTPMethod, _ path: String, body: ByteBuffer? = nil) async throws -> ByteBuffer {
        try await sendCollecting(method, path, query: [], body: body, contentType: "application/json").1
    }

    private func sendCollecting(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], body: ByteBuffer?, contentType: String
    ) async throws -> (HTTPClientResponse, ByteBuffer) {
        let response = try await send(
            method, path, query: query, body: body, contentType: contentType, timeout: requestTimeout, collectBody: true
        )
        do {
            let bytes = try await response.body.collect(upTo: 512 << 20)
            return (response, bytes)
        } catch {
            throw transportError(error, "\(method) \(path)")
        }
    }

    /// Sends a request and checks the status; non-2xx answers become ``KubeError``s with the server's Status.
    /// A 401 with a token read from a file re-reads the file at once and, if the token changed (rotated), retries
    /// once with the new one.
    private func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], body: ByteBuffer? = nil,
        contentType: String = "application/json", timeout: Duration, collectBody: Bool, token: String? = nil
    ) async throws -> HTTPClientResponse {
        let what = "\(method) \(path)"
        var request = HTTPClientRequest(url: configuration.server + path + Self.queryString(query))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "herald")
        let bearer = try token ?? configuration.token?.current()
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(body)
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(
                request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000))
        } catch {
            throw transportError(error, what)
        }
        let code = Int(response.status.code)
        if code == 401, token == nil, let bearer, let fresh = configuration.token?.replacement(forRejected: bearer) {
            _ = try? await response.body.collect(upTo: 1 << 20)
            logger.info(
                "token rejected; retrying with the token re-read from its file", metadata: ["request": "\(what)"])
            return try await send(
                method, path, query: query, body: body, contentType: contentType, timeout: timeout,
                collectBody: collectBody, token: fresh)
        }
        guard (200..<300).contains(code) else {
            let bytes = try? await response.body.collect(upTo: 1 << 20)
            let status = bytes.flatMap { try? JSONDecoder().decode(KubeStatus.self, from: $0) }
            throw KubeError(
                .http, status?.message ?? "\(response.status)", statusCode: code,
                reason: status?.reason ?? response.status.reasonPhrase, endpoint: configuration.endpoint, request: what)
        }
        return response
    }

    func transportError(_ error: any Error, _ what: String) -> any Error {
        if error is CancellationError || error is KubeError { return error }
        if let e = error as? HTTPClientError, e == .cancelled { return CancellationError() }
        return KubeError(
            .transport, "cannot reach the API server: \(error)", endpoint: configuration.endpoint, request: what)
    }

    static func queryString(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return "?"
            + query.map { k, v in "\(k)=\(v.addingPercentEncoding(withAllowedCharacters: allowed) ?? v)" }
            .joined(separator: "&")
    }
}
