import Foundation
import HeraldConfigModel
import HeraldCore
import HeraldPlanner
import HeraldTestSupport
import Testing

/// The reconcile decision without a plugin: break before make, claims, their confirmation by the other nodes'
/// published versions, the nodes-left fast path, and the one-owner invariant over random interleavings of several
/// nodes' views, passes, publications, crashes and clock steps.
@Suite struct ReconcileDecisionTests {
    static let start = ContinuousClock.now

    static func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    static func v(_ version: Int) -> InputVersions { InputVersions(["nodes": UInt64(version)]) }

    static func announcement(_ last: Int) -> PlannedAnnouncement {
        let address = IPAddress("192.0.2.\(last)")!
        return PlannedAnnouncement(
            id: "l2/\(address)/32", address: address, prefixLength: 32,
            services: [ServiceID(namespace: "ns", name: "s\(last)")], advertisement: "l2")
    }

    static func inputs(
        withdraw: [String] = [], announce: [PlannedAnnouncement] = [], nodes: [NodeState], version: Int?,
        planned: Int? = nil, confirmations: [String: Int] = [:]
    ) -> ReconcileDecision.Inputs {
        ReconcileDecision.Inputs(
            steps: [
                .init(instance: "l2", exclusive: true, withdraw: withdraw, announce: announce.map { ($0, true) })
            ],
            node: "b", nodes: nodes, addresses: 0, advertisements: [], applied: version.map(v),
            planned: (planned ?? version).map(v), confirmations: confirmations.mapValues(v))
    }

    static let nodes = [NodeState(name: "a"), NodeState(name: "b")]

    static func announced(_ decision: ReconcileDecision.Decision) -> [String] {
        decision.actions.compactMap {
            if case .announce(_, let announcement, _, _) = $0 { return announcement.id }
            return nil
        }
    }

    @Test func withdrawalsComeFirstAndAreNeverHeld() {
        var decision = ReconcileDecision(claimDelay: .milliseconds(100))
        let x = Self.announcement(1)
        let result = decision.decide(
            ReconcileDecision.Inputs(
                steps: [
                    .init(instance: "bgp", exclusive: false, withdraw: ["r"], announce: [(x, true)]),
                    .init(instance: "l2", exclusive: true, withdraw: ["old"], announce: []),
                ],
                node: "b", nodes: Self.nodes, addresses: 0, advertisements: [], applied: Self.v(1),
                planned: Self.v(1), confirmations: ["a": Self.v(0)]),
            now: Self.at(0))
        // A routed announcement is never claimed; the order is each instance's withdrawals, then its announcements.
        #expect(
            result.actions == [
                .withdraw(instance: "bgp", id: "r", exclusive: false),
                .announce(instance: "bgp", announcement: x, exclusive: false, new: true),
                .withdraw(instance: "l2", id: "old", exclusive: true),
            ])
        #expect(result.wakeAfter == nil)
    }

    @Test func aClaimWaitsForTheDelayThenForAConfirmationOnAViewThisNodePlannedOn() {
        var decision = ReconcileDecision(claimDelay: .milliseconds(100))
        let x = Self.announcement(1)
        // Pass 1 at version 5: claim starts; a has published 4 (it has not planned on the change).
        var result = decision.decide(
            Self.inputs(announce: [x], nodes: Self.nodes, version: 5, confirmations: ["a": 4]), now: Self.at(0))
        #expect(Self.announced(result).isEmpty)
        #expect(result.wakeAfter == .milliseconds(100))
        // The delay has passed, a still at 4: wait, poll again.
        result = decision.decide(
            Self.inputs(announce: [x], nodes: Self.nodes, version: 5, confirmations: ["a": 4]), now: Self.at(150))
        #expect(Self.announced(result).isEmpty)
        #expect(result.wakeAfter == ReconcileDecision.confirmationPoll)
        // a published 5, a view this node planned on and wanted the address on: a withdrew it. Announce.
        result = decision.decide(
            Self.inputs(announce: [x], nodes: Self.nodes, version: 5, confirmations: ["a": 5]), now: Self.at(250))
        #expect(Self.announced(result) == [x.id])
        #expect(decision.waitingClaims == 1, "kept until a pass finds it announced (a failed announce is retried)")
        result = decision.decide(Self.inputs(nodes: Self.nodes, version: 5, confirmations: ["a": 5]), now: Self.at(300))
        #expect(decision.waitingClaims == 0)
    }

    /// The hole of a rule that accepts any published version covering the claim's: the address moved here (5),
    /// there (6), here again (7); a never planned on 5 and holds it at 6; this node never planned on 6. a's
    /// confirmation at 6 covers 5 and this node's view covers 6, yet a still answers.
    @Test func aConfirmationOnAViewThisNodeNeverPlannedOnIsNotEnough() {
        var decision = ReconcileDecision(claimDelay: .milliseconds(100))
        let x = Self.announcement(1)
        _ = decision.decide(
            Self.inputs(announce: [x], nodes: Self.nodes, version: 5, confirmations: ["a": 4]), now: Self.at(0))
        var result = decision.decide(
            Self.inputs(announce: [x], nodes: Self.nodes, version: 7, confirmations: ["a": 6]), now: Self.at(200))
        #expect(Self.announced(result).isEmpty, "a may still hold the address it owned at 6")
        result = decision.decide(
            Self.inputs(announce: [x], nodes: Self.nodes, version: 7, confirmations: ["a": 7]), now: Self.at(300))
        #expect(Self.announced(result) == [x.id])
    }

    @Test func aPassWhoseViewMovedWhilePlanningConfirmsNothingAndPublishesNothing() {
        var decision = ReconcileDecision(claimDelay: .milliseconds(100))
        let x = Self.announcement(1)
        // Planned while the caches moved from 5 to 6: neither version is one the plan is known to be at.
        _ = decision.decide(
            Self.inputs(announce: [x], nodes: Self.nodes, version: 5, planned: 6, confirmations: ["a": 5]),
            now: Self.at(0))
        #expect(decision.finish(exclusiveWithdrawalsFailed: false) == nil)
        let result = decision.decide(
            Self.inputs(announce: [x], nodes: Self.nodes, version: 6, planned: 6, confirmations: ["a": 5]),
            now: Self.at(200))
        #expect(Self.announced(result).isEmpty)
        #expect(decision.finish(exclusiveWithdrawalsFailed: false) == Self.v(6))
        #expect(decision.finish(exclusiveWithdrawalsFailed: false) == nil, "published once")
    }

    @Test func aFailedExclusiveWithdrawalPublishesNothing() {
        var decision = ReconcileDecision(claimDelay: .milliseconds(100))
        _ = decision.decide(Self.inputs(withdraw: ["l2/x"], nodes: Self.nodes, version: 3), now: Self.at(0))
        #expect(decision.finish(exclusiveWithdrawalsFailed: true) == nil)
        _ = decision.decide(Self.inputs(withdraw: ["l2/x"], nodes: Self.nodes, version: 3), now: Self.at(10))
        #expect(decision.finish(exclusiveWithdrawalsFailed: false) == Self.v(3))
    }

    @Test func nodesLeavingIsClaimedAtOnceAndOnlyThat() {
        var decision = ReconcileDecision(claimDelay: .milliseconds(100))
        let x = Self.announcement(1)
        let three = [NodeState(name: "a"), NodeState(name: "b"), NodeState(name: "c")]
        _ = decision.decide(Self.inputs(nodes: three, version: 5, confirmations: ["a": 5, "c": 5]), now: Self.at(0))
        // c's lease lapsed; nothing else changed: the address c owned is announced at once.
        // a has published the view of this node's last pass (5), so a holds nothing c did not.
        let gone = [NodeState(name: "a"), NodeState(name: "b"), NodeState(name: "c", live: false)]
        var other = decision
        var result = decision.decide(
            Self.inputs(announce: [x], nodes: gone, version: 5, confirmations: ["a": 5, "c": 5]), now: Self.at(10))
        #expect(Self.announced(result) == [x.id])
        // The same departure while a has published an older view: a claim as usual.
        result = other.decide(
            Self.inputs(announce: [x], nodes: gone, version: 5, confirmations: ["a": 4, "c": 5]), now: Self.at(10))
        #expect(Self.announced(result).isEmpty)
        // A relabel is not a departure: claimed as usual.
        let y = Self.announcement(2)
        let relabelled = [
            NodeState(name: "a", labels: ["x": "y"]), NodeState(name: "b"), NodeState(name: "c", live: false),
        ]
        result = decision.decide(
            Self.inputs(announce: [y], nodes: relabelled, version: 6, confirmations: ["a": 4]), now: Self.at(20))
        #expect(Self.announced(result).isEmpty)
    }

    @Test func withoutVersionsOnlyTheDelayAppliesAndAHostThatPublishedNothingIsWaitedFor() {
        var decision = ReconcileDecision(claimDelay: .milliseconds(100))
        let x = Self.announcement(1)
        _ = decision.decide(Self.inputs(announce: [x], nodes: Self.nodes, version: nil), now: Self.at(0))
        var result = decision.decide(Self.inputs(announce: [x], nodes: Self.nodes, version: nil), now: Self.at(100))
        #expect(Self.announced(result) == [x.id])
        var other = ReconcileDecision(claimDelay: .milliseconds(100))
        _ = other.decide(Self.inputs(announce: [x], nodes: Self.nodes, version: 3), now: Self.at(0))
        result = other.decide(Self.inputs(announce: [x], nodes: Self.nodes, version: 3), now: Self.at(100))
        #expect(Self.announced(result).isEmpty, "a has published nothing yet: what it holds is unknown")
        // Without a delay (no cluster), nothing is claimed.
        var none = ReconcileDecision(claimDelay: .zero)
        result = none.decide(
            Self.inputs(announce: [x], nodes: Self.nodes, version: 3, confirmations: ["a": 1]), now: Self.at(0))
        #expect(Self.announced(result) == [x.id])
    }

    // MARK: The one-owner invariant over random interleavings

    /// A cluster of hosts, each with its own lagging view of a shared history of node states, deciding with
    /// ``ReconcileDecision`` and performing its actions at once. What the model allows: any order of views moving on,
    /// passes, publications becoming visible, clock steps, withdrawals failing, relabels (a node excluded or
    /// included), crashes (a crashed host stops answering at once: the fencing of its lease, which ends its
    /// announcements before the lease can lapse) and restarts. Versions cover the node states; the addresses and the
    /// configuration do not change.
    struct Model {
        struct Host {
            var decision = ReconcileDecision(claimDelay: .milliseconds(100))
            var view: Int
            var announced: Set<Int> = []
            var alive = true
            /// Published by the last pass, not yet visible to the others.
            var pending: InputVersions?
        }

        static let names = ["a", "b", "c"]
        static let addresses = Array(1...4)
        var history: [[NodeState]] = [names.map { NodeState(name: $0) }]
        var hosts: [String: Host] = Dictionary(uniqueKeysWithValues: names.map { ($0, Host(view: 0)) })
        var published: [String: InputVersions] = [:]
        var now = 0
        var random: SplitMix64
        var claims = 0

        init(seed: UInt64) { random = SplitMix64(seed: seed) }

        static func owner(_ address: Int, in nodes: [NodeState]) -> String? {
            let eligible = nodes.filter { $0.live && $0.labels["excluded"] == nil }.map(\.name)
            return L2Ownership.owner(of: [IPAddress("192.0.2.\(address)")!], among: eligible)
        }

        func version(_ index: Int) -> InputVersions { InputVersions(["nodes": UInt64(index + 1)]) }

        mutating func change(_ body: (inout [NodeState]) -> Void) {
            var nodes = history.last!
            body(&nodes)
            history.append(nodes)
        }

        mutating func pass(_ name: String) {
            var host = hosts[name]!
            // The caches may move on while planning (to a later version, which the plan may or may not include).
            let moved = host.view + 1 < history.count && Int.random(in: 0..<5, using: &random) == 0
            let nodes = history[host.view]
            let wanted = Set(Self.addresses.filter { Self.owner($0, in: nodes) == name })
            let steps = ReconcileDecision.Steps(
                instance: "l2", exclusive: true,
                withdraw: host.announced.subtracting(wanted).sorted().map { "\($0)" },
                announce: wanted.subtracting(host.announced).sorted().map {
                    (ReconcileDecisionTests.announcement($0), true)
                })
            let inputs = ReconcileDecision.Inputs(
                steps: [steps], node: name, nodes: nodes, addresses: 0, advertisements: [],
                applied: version(host.view), planned: version(moved ? host.view + 1 : host.view),
                confirmations: published)
            let decision = host.decision.decide(inputs, now: ReconcileDecisionTests.at(now))
            var failed = false
            for action in decision.actions {
                switch action {
                case .withdraw(_, let id, _):
                    if Int.random(in: 0..<10, using: &random) == 0 {
                        failed = true
                    } else {
                        host.announced.remove(Int(id)!)
                    }
                case .announce(_, let announcement, _, _):
                    host.announced.insert(Int(announcement.address.description.split(separator: ".").last!)!)
                    claims += 1
                }
            }
            if moved { host.view += 1 }
            if let versions = host.decision.finish(exclusiveWithdrawalsFailed: failed) { host.pending = versions }
            hosts[name] = host
        }

        /// One random step.
        mutating func step() {
            let alive = Self.names.filter { hosts[$0]!.alive }
            let name = Self.names.randomElement(using: &random)!
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<15:
                let index = Int.random(in: 0..<Self.names.count, using: &random)
                change { nodes in
                    nodes[index].labels["excluded"] = nodes[index].labels["excluded"] == nil ? "yes" : nil
                }
            case 15..<18 where hosts[name]!.alive && alive.count > 1:
                hosts[name]!.alive = false
                hosts[name]!.announced = []
                change { nodes in
                    for index in nodes.indices where nodes[index].name == name { nodes[index].live = false }
                }
            case 18..<21 where !hosts[name]!.alive:
                change { nodes in
                    for index in nodes.indices where nodes[index].name == name { nodes[index].live = true }
                }
                hosts[name] = Host(view: history.count - 1)
                // The lease of the host's last run may still carry what that run published (it held nothing since).
                if Bool.random(using: &random) { published[name] = nil }
            case 21..<50 where hosts[name]!.alive && hosts[name]!.view + 1 < history.count:
                hosts[name]!.view = Int.random(in: (hosts[name]!.view + 1)..<history.count, using: &random)
            case 50..<80 where hosts[name]!.alive:
                pass(name)
            case 80..<92 where hosts[name]!.alive:
                if let pending = hosts[name]!.pending { published[name] = pending }
            default:
                now += Int.random(in: 10...300, using: &random)
            }
        }

        /// The addresses more than one live host answers for.
        var doubles: [Int] {
            Self.addresses.filter { address in
                hosts.values.filter { $0.alive && $0.announced.contains(address) }.count > 1
            }
        }

        /// Lets every host catch up and settle: views at the newest version, passes, publications, time.
        mutating func settle() {
            for _ in 0..<20 {
                now += 150
                for name in Self.names where hosts[name]!.alive {
                    hosts[name]!.view = history.count - 1
                }
                for name in Self.names where hosts[name]!.alive { pass(name) }
                for name in Self.names where hosts[name]!.alive {
                    if let pending = hosts[name]!.pending { published[name] = pending }
                }
            }
        }
    }

    /// Async, yielding after each sequence: a synchronous test this long would hold one of the few threads of the
    /// shared pool that timing-sensitive tests running beside it need.
    @Test func neverTwoOwnersOnAnyInterleaving() async {
        // 300 sequences here (about five seconds alone, on a pool other suites share); HERALD_DECISION_SEQUENCES
        // sets more.
        let sequences = Int(ProcessInfo.processInfo.environment["HERALD_DECISION_SEQUENCES"] ?? "") ?? 300
        let steps = 300
        var claims = 0
        var checked = 0
        for seed in 1...UInt64(sequences) {
            var model = Model(seed: seed)
            for index in 0..<steps {
                model.step()
                checked += 1
                let doubles = model.doubles
                if !doubles.isEmpty {
                    Issue.record("seed \(seed), step \(index): two hosts answer for 192.0.2.\(doubles)")
                    return
                }
            }
            // Once quiet, every address is announced by exactly its owner: claims do not wait forever.
            model.settle()
            let nodes = model.history.last!
            for address in Model.addresses {
                let holders = Model.names.filter {
                    model.hosts[$0]!.alive && model.hosts[$0]!.announced.contains(address)
                }
                let owner = Model.owner(address, in: nodes)
                #expect(holders == (owner.map { [$0] } ?? []), "seed \(seed): 192.0.2.\(address) held by \(holders)")
            }
            claims += model.claims
            await Task.yield()
        }
        print(
            "reconcile decision: \(sequences) random sequences, \(checked) steps checked, \(claims) announcements made")
        #expect(claims > sequences, "the model made too few claims to test anything")
    }
}
