import Foundation
import HeraldKube
import HeraldKubeModels
import Synchronization
import Testing

/// Runs `body` with a client and always shuts the client down.
package func withClient<R>(
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

/// Runs `body` while `work` runs in a background task, then cancels `work` and waits for it to end. Work that does
/// not end within `stopWithin` of its cancellation is a failure of the test, recorded as such, not a hung suite.
package func whileRunning<R: Sendable>(
    _ work: @escaping @Sendable () async -> Void, stopWithin: Duration = .seconds(20),
    _ body: () async throws -> R
) async throws -> R {
    let finished = Flag()
    let task = Task {
        await work()
        finished.set()
    }
    func stop() async {
        task.cancel()
        let deadline = ContinuousClock.now + stopWithin
        while !finished.isSet && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if !finished.isSet {
            Issue.record("the background work did not stop within \(stopWithin) of its cancellation")
        }
    }
    do {
        let result = try await body()
        await stop()
        return result
    } catch {
        await stop()
        throw error
    }
}

/// A flag set once, from any thread.
package final class Flag: Sendable {
    private let value = Mutex(false)
    package func set() { value.withLock { $0 = true } }
    package var isSet: Bool { value.withLock { $0 } }
}

/// Creates a namespace for one test.
package func makeNamespace(_ client: KubeClient, _ prefix: String) async throws -> String {
    let name = uniqueName(prefix)
    _ = try await client.create(Namespace(metadata: ObjectMeta(name: name)))
    return name
}

/// A headless Service (no ClusterIP allocation needed).
package func testService(_ name: String, namespace: String, labels: [String: String] = [:]) -> Service {
    var spec = Service.Spec(type: "ClusterIP", ports: [Service.Port(name: "http", port: 80)], clusterIP: "None")
    spec.selector = ["app": name]
    return Service(metadata: ObjectMeta(name: name, namespace: namespace, labels: labels), spec: spec)
}

/// The server's `key -> resourceVersion` map of a collection.
package func serverState<T: KubeResource>(
    _ client: KubeClient, _ type: T.Type, namespace: String?
) async throws -> [String: String] {
    let (items, _) = try await client.listAll(type, namespace: namespace)
    return Dictionary(uniqueKeysWithValues: items.map { ($0.key, $0.metadata.resourceVersion ?? "") })
}

/// A store's `key -> resourceVersion` map.
package func storeState<T: KubeResource>(_ store: ObjectStore<T>) -> [String: String] {
    Dictionary(uniqueKeysWithValues: store.list().map { ($0.key, $0.metadata.resourceVersion ?? "") })
}

/// The resident set size of this process in KiB (from /proc/self/status).
package func residentKiB() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }
    return -1
}
