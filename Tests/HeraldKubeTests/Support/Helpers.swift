import Foundation
import HeraldKube
import Testing

/// Runs `body` with a client and always shuts the client down.
func withClient<R>(
    _ make: @autoclosure () throws -> KubeClient, _ body: (KubeClient) async throws -> R
) async throws -> R {
    let client = try make()
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// Runs `body` while `work` runs in a child task, then cancels `work` and waits for it.
func whileRunning<R: Sendable>(
    _ work: @escaping @Sendable () async -> Void, _ body: () async throws -> R
) async throws -> R {
    let task = Task { await work() }
    do {
        let result = try await body()
        task.cancel()
        await task.value
        return result
    } catch {
        task.cancel()
        await task.value
        throw error
    }
}

/// Creates a namespace for one test.
func makeNamespace(_ client: KubeClient, _ prefix: String) async throws -> String {
    let name = uniqueName(prefix)
    _ = try await client.create(Namespace(metadata: ObjectMeta(name: name)))
    return name
}

/// A headless Service (no ClusterIP allocation needed).
func testService(_ name: String, namespace: String, labels: [String: String] = [:]) -> Service {
    var spec = Service.Spec(type: "ClusterIP", ports: [Service.Port(name: "http", port: 80)], clusterIP: "None")
    spec.selector = ["app": name]
    return Service(metadata: ObjectMeta(name: name, namespace: namespace, labels: labels), spec: spec)
}

/// The server's `key -> resourceVersion` map of a collection.
func serverState<T: KubeResource>(
    _ client: KubeClient, _ type: T.Type, namespace: String?
) async throws -> [String: String] {
    let (items, _) = try await client.listAll(type, namespace: namespace)
    return Dictionary(uniqueKeysWithValues: items.map { ($0.key, $0.metadata.resourceVersion ?? "") })
}

/// A store's `key -> resourceVersion` map.
func storeState<T: KubeResource>(_ store: ObjectStore<T>) -> [String: String] {
    Dictionary(uniqueKeysWithValues: store.list().map { ($0.key, $0.metadata.resourceVersion ?? "") })
}

/// The resident set size of this process in KiB (from /proc/self/status).
func residentKiB() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }
    return -1
}
