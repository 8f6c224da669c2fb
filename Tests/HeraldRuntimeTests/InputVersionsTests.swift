import HeraldCore
import HeraldKube
import Testing

@testable import HeraldRuntime

/// The input versions a host publishes in its membership lease, and how it reads them from its caches.
@Suite struct InputVersionsTests {
    static func v(_ nodes: UInt64, _ services: UInt64 = 10, _ slices: UInt64 = 10) -> InputVersions {
        InputVersions(["nodes": nodes, "services": services, "endpointslices": slices])
    }

    @Test func inputVersionsRoundTripThroughTheLeaseAnnotation() {
        let versions = Self.v(12, 345, 6789)
        #expect(versions.description == "endpointslices=6789,nodes=12,services=345")
        #expect(InputVersions(annotation: versions.description) == versions)
        #expect(InputVersions(annotation: "") == InputVersions())
        #expect(InputVersions(annotation: "nodes=12,services") == nil)
        #expect(InputVersions(annotation: "nodes=-1") == nil)
        #expect(InputVersions(["nodes": 1], changes: 9).content == InputVersions(["nodes": 1]))
    }

    @Test func versionsOfCachesAreTheirDigestsOnceEachHasListed() {
        #expect(
            KubernetesMode.versions([
                ("nodes", StoreContent(digest: 12, changes: 3, lists: 1)),
                ("services", StoreContent(digest: 7, changes: 4, lists: 2)),
            ]) == InputVersions(["nodes": 12, "services": 7], changes: 7))
        #expect(
            KubernetesMode.versions([
                ("nodes", StoreContent(digest: 12, changes: 3, lists: 1)), ("services", StoreContent()),
            ]) == nil)
    }
}
