import HeraldAllocation
import HeraldKubeModels
import Testing

@testable import HeraldRuntime

/// Which pool annotations a Service must show, and the patch that brings it there: Herald's always, MetalLB's in
/// MetalLB mode or wherever the Service already shows it; a Service MetalLB annotated is left as it is.
@Suite struct PoolAnnotationsTests {
    let h = "herald.dev/ip-allocated-from-pool"
    let m = "metallb.io/ip-allocated-from-pool"

    @Test func whatSaysAPool() {
        // Herald's alone, MetalLB's alone (a Service MetalLB assigned), or both: all say "p" outside MetalLB mode.
        #expect(PoolAnnotations(herald: "p").say("p", metallbMode: false))
        #expect(PoolAnnotations(metallb: "p").say("p", metallbMode: false))
        #expect(PoolAnnotations(herald: "p", metallb: "p").say("p", metallbMode: false))
        // In MetalLB mode MetalLB's must be there.
        #expect(!PoolAnnotations(herald: "p").say("p", metallbMode: true))
        #expect(PoolAnnotations(metallb: "p").say("p", metallbMode: true))
        // Any annotation naming another pool, or none for a pool, is wrong; none is right for no pool.
        #expect(!PoolAnnotations(herald: "p", metallb: "old").say("p", metallbMode: false))
        #expect(!PoolAnnotations(herald: "old", metallb: "p").say("p", metallbMode: true))
        #expect(!PoolAnnotations().say("p", metallbMode: false))
        #expect(PoolAnnotations().say(nil, metallbMode: true))
        #expect(!PoolAnnotations(metallb: "p").say(nil, metallbMode: false))
    }

    @Test func whatAWriteLeaves() {
        #expect(PoolAnnotations().written("p", metallbMode: false) == PoolAnnotations(herald: "p"))
        #expect(PoolAnnotations().written("p", metallbMode: true) == PoolAnnotations(herald: "p", metallb: "p"))
        // MetalLB's annotation, where shown, is never left naming a stale pool.
        #expect(
            PoolAnnotations(metallb: "old").written("p", metallbMode: false)
                == PoolAnnotations(herald: "p", metallb: "p"))
        #expect(PoolAnnotations(herald: "p", metallb: "p").written(nil, metallbMode: false) == PoolAnnotations())
        // Every write leaves annotations that say its pool.
        for shown in [PoolAnnotations(), PoolAnnotations(herald: "x"), PoolAnnotations(metallb: "y")] {
            for pool in ["p", nil] as [String?] {
                for mode in [false, true] {
                    #expect(shown.written(pool, metallbMode: mode).say(pool, metallbMode: mode))
                }
            }
        }
    }

    @Test func thePatch() throws {
        #expect(
            try ServiceController.patch(
                from: PoolAnnotations(metallb: "old"), to: PoolAnnotations(herald: "p", metallb: "p"))
                == #"{"\#(h)":"p","\#(m)":"p"}"#)
        // Clearing removes what is shown and names nothing that is not.
        #expect(
            try ServiceController.patch(from: PoolAnnotations(herald: "p"), to: PoolAnnotations()) == #"{"\#(h)":null}"#
        )
        #expect(try ServiceController.patch(from: PoolAnnotations(), to: PoolAnnotations()) == "{}")
        // A pool name is JSON-quoted.
        #expect(
            try ServiceController.patch(from: PoolAnnotations(), to: PoolAnnotations(herald: #"a"b"#))
                == #"{"\#(h)":"a\"b"}"#)
    }
}
