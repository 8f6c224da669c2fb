import HeraldConfigModel
import HeraldCore

/// What the reconcile loop does in one pass, decided without touching a plugin: the loop gathers the inputs (the
/// plan's steps, the nodes, the input versions and the other nodes' confirmations), asks ``decide(_:now:)`` for the
/// actions, performs them in order, and tells ``finish(exclusiveWithdrawalsFailed:)`` how the withdrawals went. Pure:
/// no clock (the time is an input), no I/O; the same inputs give the same actions.
///
/// The one-owner rule for exclusive (layer-2) addresses lives here:
/// - **Break before make.** Every withdrawal is performed at once, before any announcement. An exclusive address this
///   node starts to own is *claimed*: announced only after `claimDelay`, and only once every other live node has
///   confirmed that it no longer holds it.
/// - **Confirmation.** A node publishes the input versions of its last pass that planned on one consistent view (its
///   versions did not move while it planned) and whose exclusive withdrawals all succeeded: its announcements are
///   then exactly its plan at those versions. A claim is confirmed by another node's published versions only when
///   this node planned on exactly those versions itself since the claim began, and wanted the address then: the
///   other node planned on the same inputs, so it computed the same owner (this node) and withdrew. A confirmation at
///   versions this node never planned on proves nothing: in between, the address may have flipped to the other node
///   and back (owner here, there, here), and the other node may hold it still. Such a claim waits until both nodes
///   have planned on the same view, which the next quiet moment gives (every node publishes after each pass).
/// - **Nodes leaving.** When the only change since the last pass is that nodes left (``L2Ownership/onlyDepartures``)
///   and every other live node has published the view of this node's last pass, a new claim is announced at once:
///   only a departed node can have owned it, and a node stops announcing before its lease can lapse (fencing).
///
/// A live node that has published no versions yet (it has just started, or its caches are not synced) is waited for:
/// until it publishes, nothing says what it holds. Without versions of its own (no cluster), a node relies on the
/// delay alone.
package struct ReconcileDecision: Sendable {
    /// What one running instance must do to reach the plan (``AnnouncementPlanner/Changes/steps(from:)``).
    package struct Steps: Sendable {
        package var instance: String
        /// Exclusive (one node per address) rather than routed.
        package var exclusive: Bool
        package var withdraw: [String]
        /// Announcements that are new or changed; `new` when the instance does not announce the id now.
        package var announce: [(announcement: PlannedAnnouncement, new: Bool)]

        package init(
            instance: String, exclusive: Bool, withdraw: [String],
            announce: [(announcement: PlannedAnnouncement, new: Bool)]
        ) {
            self.instance = instance
            self.exclusive = exclusive
            self.withdraw = withdraw
            self.announce = announce
        }
    }

    /// The inputs of one pass.
    package struct Inputs: Sendable {
        /// The running instances' steps, in the order they started.
        package var steps: [Steps]
        /// This node's name.
        package var node: String
        /// Every node the plan saw, this one included.
        package var nodes: [NodeState]
        /// A digest of the service addresses and the advertisements (to tell a change that is only nodes leaving).
        package var addresses: Int
        package var advertisements: [Advertisement]
        /// The input versions read before the plan and after it (nil without a cluster).
        package var applied: InputVersions?
        package var planned: InputVersions?
        /// The versions each node published last (its membership lease).
        package var confirmations: [String: InputVersions]

        package init(
            steps: [Steps], node: String, nodes: [NodeState], addresses: Int, advertisements: [Advertisement],
            applied: InputVersions?, planned: InputVersions?, confirmations: [String: InputVersions]
        ) {
            self.steps = steps
            self.node = node
            self.nodes = nodes
            self.addresses = addresses
            self.advertisements = advertisements
            self.applied = applied
            self.planned = planned
            self.confirmations = confirmations
        }

        /// The content of a pass that planned on one view (nothing changed while it planned), or nil.
        var consistent: InputVersions? {
            guard let applied, applied == planned else { return nil }
            return applied.content
        }
    }

    /// One call into a plugin instance.
    package enum Action: Sendable, Equatable {
        case withdraw(instance: String, id: String, exclusive: Bool)
        /// `new`: the instance does not announce the id yet (for an exclusive instance, this node becomes the owner).
        case announce(instance: String, announcement: PlannedAnnouncement, exclusive: Bool, new: Bool)
    }

    /// The actions of a pass, to perform in order, and when to look again for claims still waiting.
    package struct Decision: Sendable {
        package var actions: [Action]
        package var wakeAfter: Duration?
    }

    /// A claim of an exclusive address: since when, and from which pass on this node has wanted it.
    struct Claim: Sendable {
        var since: ContinuousClock.Instant
        var firstPass: Int
    }

    /// How often a waiting claim looks again for the other nodes' confirmation.
    package static let confirmationPoll: Duration = .milliseconds(100)
    /// How many consistent passes are remembered to confirm claims with.
    static let historyLimit = 64

    /// The time every claim waits at least, on top of the confirmation (zero: no claims, announce at once).
    package let claimDelay: Duration
    /// Claims waiting, by `instance/id`.
    private(set) var claims: [String: Claim] = [:]
    /// The versions of the last consistent passes, newest last, with the pass's number.
    private(set) var history: [(pass: Int, versions: InputVersions)] = []
    private var pass = 0
    /// The nodes, addresses and advertisements of the last pass.
    private var last: (addresses: Int, advertisements: [Advertisement], nodes: [NodeState])?
    /// The versions the pass being performed may publish, and the ones published last.
    private var publishable: InputVersions?
    private(set) package var published: InputVersions?

    package init(claimDelay: Duration) {
        self.claimDelay = claimDelay
    }

    /// The claims waiting now.
    package var waitingClaims: Int { claims.count }

    /// Decides one pass: every instance's withdrawals, then its announcements, except the exclusive claims still
    /// waiting.
    package mutating func decide(_ inputs: Inputs, now: ContinuousClock.Instant) -> Decision {
        pass += 1
        // The view of the previous pass, when it planned on one.
        let previous = history.last.flatMap { $0.pass == pass - 1 ? $0.versions : nil }
        let consistent = inputs.consistent
        if let consistent {
            history.append((pass, consistent))
            if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
        }
        publishable = consistent
        var departuresOnly = false
        if let last, last.addresses == inputs.addresses, last.advertisements == inputs.advertisements {
            departuresOnly = L2Ownership.onlyDepartures(from: last.nodes, to: inputs.nodes)
        }
        // The fast path needs every other live node to have planned on the view of this node's previous pass: an
        // address this node did not own then was owned by a node that has now left, and no live node has claimed it
        // since (its claim would need a confirmation from this node on a later view, which this node has not
        // published). Without versions, the departures alone decide.
        if departuresOnly, inputs.planned != nil {
            departuresOnly =
                previous.map { previous in
                    inputs.nodes.allSatisfy { node in
                        node.live && node.name != inputs.node ? inputs.confirmations[node.name] == previous : true
                    }
                } ?? false
        }
        last = (inputs.addresses, inputs.advertisements, inputs.nodes)

        var actions: [Action] = []
        var wanted: Set<String> = []
        var wake: Duration?
        for steps in inputs.steps {
            for id in steps.withdraw {
                actions.append(.withdraw(instance: steps.instance, id: id, exclusive: steps.exclusive))
            }
            for (announcement, new) in steps.announce {
                let key = "\(steps.instance)/\(announcement.id)"
                // A claim already waiting still needs its confirmation: the fast path is for what the departures
                // moved, not for a handover under way.
                if new && steps.exclusive && claimDelay > .zero && !(departuresOnly && claims[key] == nil) {
                    wanted.insert(key)
                    let claim = claims[key] ?? Claim(since: now, firstPass: pass)
                    claims[key] = claim
                    let remaining = claimDelay - (now - claim.since)
                    if remaining > .zero {
                        wake = min(wake ?? remaining, remaining)
                        continue
                    }
                    if !confirmed(claim, inputs) {
                        wake = min(wake ?? Self.confirmationPoll, Self.confirmationPoll)
                        continue
                    }
                }
                actions.append(
                    .announce(
                        instance: steps.instance, announcement: announcement, exclusive: steps.exclusive, new: new))
            }
        }
        // A claim no longer wanted (the plan moved the address away) is dropped; one announced stays until the next
        // pass finds it announced (a failed announce is tried again at once).
        claims = claims.filter { wanted.contains($0.key) }
        return Decision(actions: actions, wakeAfter: wake)
    }

    /// Ends the pass decided last: the versions to publish now (its exclusive withdrawals all succeeded and it planned
    /// on one view), or nil when there is nothing new to publish.
    package mutating func finish(exclusiveWithdrawalsFailed: Bool) -> InputVersions? {
        defer { publishable = nil }
        guard !exclusiveWithdrawalsFailed, let versions = publishable, versions != published else { return nil }
        published = versions
        return versions
    }

    /// Whether every other live node has published versions this node planned on (consistently) since the claim
    /// began.
    private func confirmed(_ claim: Claim, _ inputs: Inputs) -> Bool {
        guard inputs.planned != nil else { return true }
        return inputs.nodes.allSatisfy { node in
            guard node.live, node.name != inputs.node else { return true }
            guard let theirs = inputs.confirmations[node.name] else { return false }
            return history.contains { $0.pass >= claim.firstPass && $0.versions == theirs }
        }
    }
}
