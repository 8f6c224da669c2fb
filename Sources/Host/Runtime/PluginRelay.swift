import HeraldCore
import HeraldPluginHost
import Synchronization

/// Carries what plugins report from their threads to the parts made after the plugins: a health change wakes the
/// reconciler (which re-plans without the unhealthy instance), an event goes to Kubernetes about the services of
/// the announcement it names.
final class PluginRelay: Sendable {
    struct Targets {
        var reconciler: Reconciler?
        var plugins: PluginSet?
        var events: (any AnnouncementEvents)?
    }

    private let targets = Mutex(Targets())

    func set(reconciler: Reconciler, plugins: PluginSet, events: (any AnnouncementEvents)?) {
        targets.withLock { $0 = Targets(reconciler: reconciler, plugins: plugins, events: events) }
    }

    func health() { targets.withLock { $0.reconciler }?.trigger() }

    func event(_ event: PluginEvent) {
        let (plugins, events) = targets.withLock { ($0.plugins, $0.events) }
        guard let events else { return }
        let services =
            event.announcementID.flatMap { id in plugins?.instance(named: event.instance)?.announced[id]?.services }
            ?? []
        events.pluginEvent(event, services: services)
    }
}
