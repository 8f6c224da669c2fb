import HeraldCore

/// Keeping the pool spaces, the holders and the sharing-key index in step.
extension Allocator {
    /// Records that the service of `request` holds `addresses` of pool `pool`. With `takeFree`, addresses no one
    /// holds are taken from the pool space here; without it, the caller has taken them.
    mutating func commit(_ request: ServiceRequest, pool: Int, addresses: [IPAddress], takeFree: Bool) -> Assignment {
        let sorted = request.ordered(addresses)
        for address in sorted {
            // One hash lookup: the holder list is modified in place.
            let first = holders[address, default: .none].insert(request.id)
            if first && takeFree {
                let taken = spaces[pool].take(address)
                precondition(taken, "\(address) is held by no service but not free")
            }
            if let key = request.sharingKey { keyed[key, default: []].insert(address) }
        }
        let assignment = Assignment(pool: spaces[pool].name, addresses: sorted)
        hold(request.id, Held(request: request, assignment: assignment))
        return assignment
    }

    /// Adds `address` of the same pool (taken by the caller, or shared under the service's key) to what the service
    /// of `request` holds.
    mutating func extend(_ request: ServiceRequest, with address: IPAddress) -> Assignment {
        guard let old = held[request.id] else { preconditionFailure("\(request.id) holds nothing to extend") }
        _ = holders[address, default: .none].insert(request.id)
        if let key = request.sharingKey { keyed[key, default: []].insert(address) }
        let assignment = Assignment(
            pool: old.assignment.pool,
            addresses: request.ordered(old.assignment.addresses + [address])
        )
        hold(request.id, Held(request: request, assignment: assignment))
        return assignment
    }

    /// Forgets what the service holds; returns the addresses that no one holds any more.
    mutating func drop(_ service: ServiceID) -> [IPAddress] {
        guard let entry = held[service] else { return [] }
        hold(service, nil)
        guard let pool = index(ofPool: entry.assignment.pool) else { return [] }
        var freed: [IPAddress] = []
        for address in entry.assignment.addresses {
            guard let slot = holders.index(forKey: address) else { continue }
            holders.values[slot].remove(service)
            guard holders.values[slot].isEmpty else { continue }
            holders.remove(at: slot)
            spaces[pool].release(address)
            if let key = entry.request.sharingKey { keyed[key]?.remove(address) }
            freed.append(address)
        }
        return freed
    }

    /// Keeps the service's addresses under a changed request that still fits them (a sole holder may change its
    /// sharing key, for instance).
    mutating func update(_ request: ServiceRequest) {
        guard let old = held[request.id] else { return }
        if old.request.sharingKey != request.sharingKey {
            for address in old.assignment.addresses {
                if let key = old.request.sharingKey { keyed[key]?.remove(address) }
                if let key = request.sharingKey { keyed[key, default: []].insert(address) }
            }
        }
        // The families' order decides the addresses' order (primary first).
        let addresses = request.ordered(old.assignment.addresses)
        hold(
            request.id, Held(request: request, assignment: Assignment(pool: old.assignment.pool, addresses: addresses)))
    }

    /// Addresses held under `key`.
    func addresses(sharedUnder key: String) -> Set<IPAddress> { keyed[key] ?? [] }

    mutating func takeLowest(_ family: IPFamily, inPool pool: Int) -> IPAddress? { spaces[pool].takeLowest(family) }

    mutating func giveBack(_ address: IPAddress, toPool pool: Int) { spaces[pool].release(address) }
}
