import HeraldCore
import HeraldPlanner
import Testing

@testable import HeraldRuntime

/// The reconcile loop's rest after a pass: none for small passes, nine times the pass for long ones, capped.
@Suite struct ReconcilerRestTests {
    @Test func restFollowsThePassUpToItsCap() {
        #expect(Reconciler.rest(after: .microseconds(300)) == .zero)
        #expect(Reconciler.rest(after: .milliseconds(5)) == .milliseconds(45))
        #expect(Reconciler.rest(after: .milliseconds(20)) == .milliseconds(100))
        #expect(Reconciler.rest(after: .seconds(2)) == .milliseconds(100))
    }
}

/// The loop performs a decision's actions in runs: consecutive calls of one kind into one instance, which a plugin
/// runner pipelines. The order of the actions is kept: no withdrawal moves behind an announcement, and no call moves
/// from one run into another.
@Suite struct ReconcilerRunTests {
    static func announce(_ instance: String, _ last: UInt8) -> ReconcileDecision.Action {
        .announce(
            instance: instance,
            announcement: PlannedAnnouncement(
                id: "a-\(last)", address: .v4(IPv4Address(192, 0, 2, last)), prefixLength: 32, services: [],
                advertisement: "ad"),
            exclusive: true, new: true)
    }

    @Test func runsKeepTheOrderAndGroupOnlyNeighbours() {
        let actions: [ReconcileDecision.Action] = [
            .withdraw(instance: "l2", id: "x", exclusive: true),
            .withdraw(instance: "l2", id: "y", exclusive: true),
            .withdraw(instance: "bgp", id: "z", exclusive: false),
            Self.announce("l2", 1), Self.announce("l2", 2), Self.announce("bgp", 3), Self.announce("l2", 4),
        ]
        let runs = Reconciler.runs(actions)
        #expect(runs.map(\.instance) == ["l2", "bgp", "l2", "bgp", "l2"])
        #expect(runs.map(\.withdraw) == [true, true, false, false, false])
        #expect(runs.map(\.actions.count) == [2, 1, 2, 1, 1])
        #expect(runs.flatMap(\.actions) == actions)
        #expect(Reconciler.runs([]).isEmpty)
    }
}
