import Testing

@testable import HeraldRuntime

/// The reconcile loop's rest after a pass: none for small passes, as long as the pass for long ones, capped.
@Suite struct ReconcilerRestTests {
    @Test func restFollowsThePassUpToItsCap() {
        #expect(Reconciler.rest(after: .microseconds(300)) == .zero)
        #expect(Reconciler.rest(after: .milliseconds(30)) == .milliseconds(30))
        #expect(Reconciler.rest(after: .seconds(2)) == .milliseconds(100))
    }
}
