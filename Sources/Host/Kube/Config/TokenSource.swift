import Foundation
import Synchronization

/// A bearer token: a fixed string, or a file re-read when older than a refresh interval (service-account tokens are
/// rotated by the kubelet; clients must re-read them, at least every minute).
public final class TokenSource: Sendable {
    enum Kind {
        case fixed(String)
        case file(path: String, refresh: Duration)
    }

    struct Cache {
        var token: String
        var readAt: ContinuousClock.Instant
    }

    let kind: Kind
    let cache = Mutex<Cache?>(nil)

    /// A fixed token.
    public init(token: String) { kind = .fixed(token) }

    /// A token read from `path`, re-read when the cached copy is older than `refresh`.
    public init(file path: String, refresh: Duration = .seconds(60)) { kind = .file(path: path, refresh: refresh) }

    /// The file the token comes from, if any.
    public var path: String? {
        if case .file(let path, _) = kind { return path }
        return nil
    }

    /// The current token. Throws a `.kubeconfig` error naming the file if it cannot be read or is empty.
    public func current() throws -> String {
        switch kind {
        case .fixed(let token): return token
        case .file(let path, let refresh):
            let now = ContinuousClock.now
            if let cached = cache.withLock({ $0 }), now - cached.readAt < refresh { return cached.token }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw KubeError(.kubeconfig, "cannot read token file", file: path)
            }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw KubeError(.kubeconfig, "token file is empty", file: path) }
            cache.withLock { $0 = Cache(token: token, readAt: now) }
            return token
        }
    }

    /// After the server rejected `token` (401): forgets the cached copy, so that the next ``current()`` re-reads the
    /// file at once, and returns that fresh token if it differs from the rejected one (nil for a fixed token, or when
    /// the file still holds the rejected token). A rotated token is then used without waiting for the refresh.
    public func replacement(forRejected token: String) -> String? {
        guard case .file = kind else { return nil }
        cache.withLock { cached in if cached?.token == token { cached = nil } }
        guard let fresh = try? current(), fresh != token else { return nil }
        return fresh
    }
}
