/// The addresses announced on this node, by announcement id. Several ids may name one address (services sharing an
/// IP); the address stays announced while any of them does. An id may restrict its address to some interfaces.
package struct AnnouncedSet<Address: Hashable & Sendable>: Sendable {
    package struct Entry: Hashable, Sendable {
        package var address: Address
        /// Interfaces this announcement is limited to; nil means every selected interface.
        package var interfaces: InterfacePatterns?
    }

    package private(set) var entries: [String: Entry] = [:]
    private var ids: [Address: Set<String>] = [:]

    package init() {}

    /// What an announce did to the set of addresses: one may have appeared, and (when an id moved to another
    /// address) one may have gone.
    package struct Change: Equatable, Sendable {
        package var added: Address?
        package var removed: Address?
    }

    /// Adds or replaces an announcement. Idempotent for an identical announcement.
    @discardableResult
    package mutating func announce(id: String, address: Address, interfaces: InterfacePatterns?) -> Change {
        var change = Change(added: nil, removed: nil)
        if let old = entries[id], old.address != address { change.removed = withdraw(id: id) }
        entries[id] = Entry(address: address, interfaces: interfaces)
        if ids[address, default: []].insert(id).inserted, ids[address]!.count == 1 { change.added = address }
        return change
    }

    /// Removes an announcement. Returns the address when no other id still announces it.
    package mutating func withdraw(id: String) -> Address? {
        guard let entry = entries.removeValue(forKey: id) else { return nil }
        ids[entry.address]?.remove(id)
        if ids[entry.address]?.isEmpty ?? false {
            ids[entry.address] = nil
            return entry.address
        }
        return nil
    }

    /// True when some announcement of `address` covers the interface.
    package func covers(_ address: Address, interface: String) -> Bool {
        guard let names = ids[address] else { return false }
        return names.contains { entries[$0]?.interfaces?.matches(interface) ?? true }
    }

    /// The ids whose announcement of `address` covers the interface, sorted; empty when none does.
    package func ids(covering address: Address, interface: String) -> [String] {
        guard let names = ids[address] else { return [] }
        return names.filter { entries[$0]?.interfaces?.matches(interface) ?? true }.sorted()
    }

    package var addresses: Set<Address> { Set(ids.keys) }

    /// True while some id announces `address`.
    package func contains(_ address: Address) -> Bool { ids[address] != nil }
}
