import HeraldCore
import HeraldPlanner
import Testing

@testable import HeraldRuntime

/// A handover of an exclusive address on an eligibility change is confirmed by the old owner's published input
/// versions, not assumed after a 100 ms margin.
@Suite struct HandoverConfirmationTests {
    static func v(_ nodes: UInt64, _ services: UInt64 = 10, _ slices: UInt64 = 10) -> InputVersions {
        InputVersions(["nodes": nodes, "services": services, "endpointslices": slices])
    }

    static let nodes = [
        NodeState(name: "a"), NodeState(name: "b"), NodeState(name: "c", live: false),
    ]

    @Test func aNodeThatHasNotPlannedOnTheChangeHoldsTheClaim() {
        // b saw the label change at nodes=7; a has applied only nodes=6: a may still answer.
        #expect(
            !Reconciler.confirmed(Self.v(7), current: Self.v(7), by: ["a": Self.v(6)], nodes: Self.nodes, except: "b"))
        // a has planned on nodes=7 (and withdrawn): confirmed.
        #expect(
            Reconciler.confirmed(Self.v(7), current: Self.v(7), by: ["a": Self.v(7)], nodes: Self.nodes, except: "b"))
        // Every resource counts: a later node view with an older slice view is not enough.
        #expect(
            !Reconciler.confirmed(
                Self.v(7, 10, 12), current: Self.v(7, 10, 12), by: ["a": Self.v(9, 10, 11)], nodes: Self.nodes,
                except: "b"))
    }

    @Test func aNodeAheadOfThisOneHoldsTheClaimUntilThisOneCatchesUp() {
        // a published nodes=9, which this node (b) has not seen: its own plan may be older than a's.
        #expect(
            !Reconciler.confirmed(Self.v(7), current: Self.v(8), by: ["a": Self.v(9)], nodes: Self.nodes, except: "b"))
        #expect(
            Reconciler.confirmed(Self.v(7), current: Self.v(9), by: ["a": Self.v(9)], nodes: Self.nodes, except: "b"))
    }

    @Test func deadNodesOlderHostsAndThisNodeAreNotWaitedFor() {
        // c is not live; a publishes no versions (an older host): only the margin applies to it.
        #expect(
            Reconciler.confirmed(Self.v(7), current: Self.v(7), by: ["c": Self.v(1)], nodes: Self.nodes, except: "b"))
        // This node's own lease is not a confirmation it waits for.
        #expect(
            Reconciler.confirmed(
                Self.v(7), current: Self.v(7), by: ["b": Self.v(1), "a": Self.v(7)], nodes: Self.nodes, except: "b"))
        // Without versions (no cluster), nothing is waited for.
        #expect(Reconciler.confirmed(nil, current: nil, by: ["a": Self.v(1)], nodes: Self.nodes, except: "b"))
        // A malformed annotation reads as empty versions: it confirms nothing.
        #expect(
            !Reconciler.confirmed(
                Self.v(7), current: Self.v(7), by: ["a": InputVersions()], nodes: Self.nodes, except: "b"))
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
