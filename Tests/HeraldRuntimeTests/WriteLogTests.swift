import HeraldAllocation
import HeraldCore
import HeraldIPAM
import HeraldKube
import HeraldKubeModels
import Testing

@testable import HeraldRuntime

/// The allocator's log of its own status writes forgets what the cache already shows, so that it does not grow with
/// the number of Services.
@Suite struct WriteLogTests {
    @Test func pruneKeepsOnlyWritesTheCacheHasNotShownYet() {
        let store = ObjectStore<Service>()
        let log = ServiceController.WriteLog()
        let desired = AllocationState.Desired(addresses: [IPAddress("192.0.2.1")!], pool: "p")
        for index in 0..<2000 {
            let id = ServiceID(namespace: "ns", name: "s\(index)")
            log.entries.withLock {
                $0[id] = .init(desired: desired, annotations: PoolAnnotations(herald: "p"), resourceVersion: 10)
            }
            // 0..<1500: the cache shows the write (or a later one); 1500..<1800: still the older object;
            // 1800..<2000: deleted since.
            if index < 1800 {
                let version = index < 1500 ? (index.isMultiple(of: 2) ? "10" : "11") : "9"
                store.upsert(Service(metadata: ObjectMeta(name: id.name, namespace: "ns", resourceVersion: version)))
            }
        }
        log.prune(caughtUpWith: store)
        let left = log.entries.withLock { $0 }
        #expect(left.count == 300)
        #expect(left.keys.allSatisfy { Int($0.name.dropFirst())! >= 1500 && Int($0.name.dropFirst())! < 1800 })
        // Below the threshold (twice what was left, at least 1,024) nothing is swept.
        let again = ServiceID(namespace: "ns", name: "s0")
        log.entries.withLock {
            $0[again] = .init(desired: desired, annotations: PoolAnnotations(herald: "p"), resourceVersion: 10)
        }
        log.prune(caughtUpWith: store)
        #expect(log.entries.withLock { $0.count } == 301)
    }
}
