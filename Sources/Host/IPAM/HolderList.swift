import HeraldCore

/// The services holding one address, sorted. Almost every address has one holder, so that case needs no array
/// (one heap allocation less per address).
enum HolderList: Sendable {
    case none
    case one(ServiceID)
    /// Two or more, sorted.
    case many([ServiceID])

    var services: [ServiceID] {
        switch self {
        case .none: []
        case .one(let service): [service]
        case .many(let services): services
        }
    }

    var isEmpty: Bool {
        if case .none = self { return true }
        return false
    }

    /// Adds `service`; true when the list was empty.
    mutating func insert(_ service: ServiceID) -> Bool {
        switch self {
        case .none:
            self = .one(service)
            return true
        case .one(let other):
            self = .many(other < service ? [other, service] : [service, other])
        case .many(var services):
            self = .none  // Releases the array so that the append below does not copy it.
            services.insert(service, at: services.firstIndex { service < $0 } ?? services.count)
            self = .many(services)
        }
        return false
    }

    mutating func remove(_ service: ServiceID) {
        switch self {
        case .none:
            break
        case .one(let other):
            if other == service { self = .none }
        case .many(var services):
            self = .none
            services.removeAll { $0 == service }
            self = services.count == 1 ? .one(services[0]) : .many(services)
        }
    }
}
