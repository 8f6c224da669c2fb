import Foundation
import HeraldKube
import Logging

/// The path that keeps the one-owner promise when nothing else can: a thread of its own (no task, no lock a plugin
/// call could hold) that ends the process when this node's exclusive announcements outlive its fence.
///
/// After the fence (``NodeMembership/mayAnnounceExclusively`` false: renewals failed, or were held because the
/// reconcile loop is stuck or an exclusive instance hangs), the loop normally withdraws within tens of milliseconds,
/// and the other nodes take over half a renew interval later. When exclusive announcements are still held a quarter
/// of a renew interval after the fence, the loop cannot withdraw them (it is stuck, or the instance hangs in a call
/// that nothing can interrupt): only the end of the process stops an in-process plugin from answering, so the
/// watchdog exits (status 70) and the kubelet restarts the pod.
final class ExclusiveWatchdog: Sendable {
    let membership: NodeMembership
    let reconciler: Reconciler
    let logger: Logger
    /// How long exclusive announcements may outlive the fence.
    let grace: Duration
    let interval: Duration

    init(membership: NodeMembership, reconciler: Reconciler, logger: Logger) {
        self.membership = membership
        self.reconciler = reconciler
        self.logger = logger
        self.grace = membership.configuration.renewInterval / 4
        self.interval = min(.milliseconds(25), membership.configuration.renewInterval / 20)
    }

    /// Starts the watchdog thread (it runs until the process ends).
    func start() {
        let thread = Thread { [self] in self.watch() }
        thread.name = "herald:watchdog"
        thread.start()
    }

    private func watch() {
        var since: ContinuousClock.Instant?
        while true {
            Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18)
            guard !membership.mayAnnounceExclusively, reconciler.holdsExclusiveAnnouncements() else {
                since = nil
                continue
            }
            let now = ContinuousClock.now
            guard let start = since else {
                since = now
                continue
            }
            guard now - start >= grace else { continue }
            let why = reconciler.renewalHold() ?? "the exclusive announcements were not withdrawn after the fence"
            let message =
                "herald: exiting: this node's membership is fenced but its exclusive announcements are still held "
                + "(\(why)); ending the process is the one way to stop an in-process plugin from answering\n"
            logger.critical("\(message)")
            FileHandle.standardError.write(Data(message.utf8))
            exit(70)
        }
    }
}
