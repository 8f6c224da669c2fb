import Foundation
import Yams

/// Reads kubeconfig files the way client-go does: a list of files (`KUBECONFIG=a:b`) merged so that the first file
/// defining a cluster, user or context name wins, and the first non-empty `current-context` wins; relative paths are
/// resolved against the directory of the file that names them; `*-data` fields are base64.
public enum KubeConfigLoader {
    /// An entry together with the file that defined it.
    struct Sourced<T> {
        var value: T
        var file: String
        var directory: String { (file as NSString).deletingLastPathComponent }
    }

    /// Loads and merges `paths`, then resolves `context` (default: the merged `current-context`).
    /// Missing files in a list are skipped as client-go does, but at least one must exist.
    public static func load(paths: [String], context: String? = nil) throws -> KubeClientConfiguration {
        var clusters: [String: Sourced<KubeConfigFile.Cluster>] = [:]
        var users: [String: Sourced<KubeConfigFile.User>] = [:]
        var contexts: [String: Sourced<KubeConfigFile.Context>] = [:]
        var current: Sourced<String>?
        var missing: [String] = []
        var loaded: [String] = []
        for path in paths where !path.isEmpty {
            let absolute = absolutePath(path)
            guard FileManager.default.fileExists(atPath: absolute) else {
                missing.append(absolute)
                continue
            }
            let file = try parse(file: absolute)
            loaded.append(absolute)
            for c in file.clusters ?? [] where clusters[c.name] == nil {
                clusters[c.name] = Sourced(value: c.cluster ?? .init(), file: absolute)
            }
            for u in file.users ?? [] where users[u.name] == nil {
                users[u.name] = Sourced(value: u.user ?? .init(), file: absolute)
            }
            for c in file.contexts ?? [] where contexts[c.name] == nil {
                contexts[c.name] = Sourced(value: c.context ?? .init(), file: absolute)
            }
            if current == nil, let cc = file.currentContext, !cc.isEmpty {
                current = Sourced(value: cc, file: absolute)
            }
        }
        guard !loaded.isEmpty else {
            throw KubeError(.kubeconfig, "kubeconfig file does not exist", file: missing.joined(separator: ", "))
        }
        let files = loaded.joined(separator: ", ")
        guard let contextName = context ?? current?.value else {
            throw KubeError(
                .kubeconfig, "no current-context is set and none was given", file: files, key: "current-context")
        }
        guard let ctx = contexts[contextName] else {
            throw KubeError(
                .kubeconfig, "context \"\(contextName)\" is not defined", file: current?.file ?? files,
                key: "current-context")
        }
        guard let clusterName = ctx.value.cluster, let cluster = clusters[clusterName] else {
            throw KubeError(
                .kubeconfig,
                "context \"\(contextName)\" names cluster \"\(ctx.value.cluster ?? "")\", which is not defined",
                file: ctx.file, key: "contexts[\(contextName)].context.cluster")
        }
        guard let server = cluster.value.server, !server.isEmpty else {
            throw KubeError(
                .kubeconfig, "cluster has no server", file: cluster.file, key: "clusters[\(clusterName)].cluster.server"
            )
        }
        guard server.hasPrefix("https://") || server.hasPrefix("http://") else {
            throw KubeError(
                .kubeconfig, "server \"\(server)\" is not an http(s) URL", file: cluster.file,
                key: "clusters[\(clusterName)].cluster.server")
        }
        let clusterKey = "clusters[\(clusterName)].cluster"
        let ca = try material(
            data: cluster.value.certificateAuthorityData, path: cluster.value.certificateAuthority, in: cluster,
            key: "\(clusterKey).certificate-authority")

        var config = KubeClientConfiguration(
            server: server, certificateAuthorityPEM: ca,
            insecureSkipTLSVerify: cluster.value.insecureSkipTLSVerify ?? false,
            namespace: ctx.value.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            origin: "kubeconfig \(files) context \(contextName)")
        if let userName = ctx.value.user, !userName.isEmpty {
            guard let user = users[userName] else {
                throw KubeError(
                    .kubeconfig, "context \"\(contextName)\" names user \"\(userName)\", which is not defined",
                    file: ctx.file, key: "contexts[\(contextName)].context.user")
            }
            let userKey = "users[\(userName)].user"
            config.clientCertificatePEM = try material(
                data: user.value.clientCertificateData, path: user.value.clientCertificate, in: user,
                key: "\(userKey).client-certificate")
            config.clientKeyPEM = try material(
                data: user.value.clientKeyData, path: user.value.clientKey, in: user, key: "\(userKey).client-key")
            if (config.clientCertificatePEM == nil) != (config.clientKeyPEM == nil) {
                throw KubeError(
                    .kubeconfig, "a client certificate needs both a certificate and a key", file: user.file,
                    key: userKey)
            }
            if let token = user.value.token, !token.isEmpty {
                config.token = TokenSource(token: token)
            } else if let tokenFile = user.value.tokenFile, !tokenFile.isEmpty {
                let path = resolve(tokenFile, against: user.directory)
                guard FileManager.default.isReadableFile(atPath: path) else {
                    throw KubeError(
                        .kubeconfig, "tokenFile \(path) cannot be read", file: user.file, key: "\(userKey).tokenFile")
                }
                config.token = TokenSource(file: path)
            }
        }
        return config
    }

    /// Parses one file, naming it in every error.
    static func parse(file path: String) throws -> KubeConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubeError(.kubeconfig, "kubeconfig file cannot be read", file: path)
        }
        let text = String(decoding: data, as: UTF8.self)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return KubeConfigFile() }
        do {
            return try YAMLDecoder().decode(KubeConfigFile.self, from: text)
        } catch let error as DecodingError {
            throw KubeError(.kubeconfig, "not a valid kubeconfig: \(describe(error))", file: path)
        } catch {
            throw KubeError(.kubeconfig, "not valid YAML: \(error)", file: path)
        }
    }

    /// Loads PEM material from inline base64 data (preferred, as client-go) or a file path.
    static func material<T>(data: String?, path: String?, in entry: Sourced<T>, key: String) throws -> [UInt8]? {
        if let data, !data.isEmpty {
            guard let decoded = Data(base64Encoded: data, options: .ignoreUnknownCharacters) else {
                throw KubeError(.kubeconfig, "value is not valid base64", file: entry.file, key: key + "-data")
            }
            return Array(decoded)
        }
        if let path, !path.isEmpty {
            let resolved = resolve(path, against: entry.directory)
            guard let bytes = FileManager.default.contents(atPath: resolved) else {
                throw KubeError(.kubeconfig, "file \(resolved) cannot be read", file: entry.file, key: key)
            }
            return Array(bytes)
        }
        return nil
    }

    static func resolve(_ path: String, against directory: String) -> String {
        path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
    }

    static func absolutePath(_ path: String) -> String {
        path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }

    static func describe(_ error: DecodingError) -> String {
        /// `clusters[0].cluster.server`: list positions in brackets.
        func path(_ c: [any CodingKey]) -> String {
            c.reduce(into: "") { text, key in
                text += key.intValue.map { "[\($0)]" } ?? (text.isEmpty ? key.stringValue : ".\(key.stringValue)")
            }
        }
        switch error {
        case .typeMismatch(_, let c): return "wrong type at \(path(c.codingPath)): \(c.debugDescription)"
        case .valueNotFound(_, let c): return "missing value at \(path(c.codingPath)): \(c.debugDescription)"
        case .keyNotFound(let k, let c): return "missing key \(path(c.codingPath + [k]))"
        case .dataCorrupted(let c): return "corrupted data at \(path(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
