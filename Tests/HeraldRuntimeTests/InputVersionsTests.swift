import HeraldCore
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
        #expect(versions.covers(Self.v(12, 300, 6789)))
        #expect(!versions.covers(Self.v(13, 300, 6789)))
        #expect(!InputVersions().covers(Self.v(1)))
    }

    @Test func versionsOfCachesAreNumbersOrNone() {
        #expect(
            KubernetesMode.versions([("nodes", 12), ("services", 7)]) == InputVersions(["nodes": 12, "services": 7]))
        #expect(KubernetesMode.versions([("nodes", 12), ("services", nil)]) == nil)
    }
}
