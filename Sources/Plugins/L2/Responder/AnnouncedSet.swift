/// The addresses announced on this node, by announcement id. Several ids may name one address (services sharing an
/// IP); the address stays announced while any of them does. An id may restrict its address to some interfaces.
public struct AnnouncedSet<Address: Hashable & Sendable>: Sendable {
    public struct Entry: Hashable, Sendable {
        public var address: Address
        /// Interfaces this announcement is limited to; nil means every selected interface.
        public var interfaces: InterfacePatterns?
    }

    public private(set) var entries: [String: Entry] = [:]
    private var ids: [Address: Set<String>] = [:]

    public init() {}

    /// What an announce did to the set of addresses: one may have appeared, and (when an id moved to another
    /// address) one may have gone.
    public struct Change: Equatable, Sendable {
        public var added: Address?
        public var removed: Address?
    }

    /// Adds or replaces an announcement. Idempotent for an identical announcement.
    @discardableResult
    public mutating func announce(id: String, address: Address, interfaces: InterfacePatterns?) -> Change {
        var change = Change(added: nil, removed: nil)
        if let old = entries[id], old.address != address { change.removed = withdraw(id: id) }
        entries[id] = Entry(address: address, interfaces: interfaces)
        if ids[address, default: []].insert(id).inserted, ids[address]!.count == 1 { change.added = address }
        return change
    }

    /// Removes an announcement. Returns the address when no other id still announces it.
    public mutating func withdraw(id: String) -> Address? {
        guard let entry = entries.removeValue(forKey: id) else { return nil }
        ids[entry.address]?.remove(id)
        if ids[entry.address]?.isEmpty ?? false {
            ids[entry.address] = nil
            return entry.address
        }
        return nil
    }

    /// True when some announcement of `address` covers the interface.
    public func covers(_ address: Address, interface: String) -> Bool {
        guard let names = ids[address] else { return false }
        return names.contains { entries[$0]?.interfaces?.matches(interface) ?? true }
    }

    /// The ids whose announcement of `address` covers the interface, sorted; empty when none does.
    public func ids(covering address: Address, interface: String) -> [String] {
        guard let names = ids[address] else { return [] }
        return names.filter { entries[$0]?.interfaces?.matches(interface) ?? true }.sorted()
    }

    public var addresses: Set<Address> { Set(ids.keys) }

    /// True while some id announces `address`.
    public func contains(_ address: Address) -> Bool { ids[address] != nil }
}
