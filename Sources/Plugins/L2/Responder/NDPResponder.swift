#if canImport(HeraldAddresses)
    import HeraldAddresses  // scripts/fuzz-l2 compiles the address sources into the codec's module instead
#endif

/// The NDP side of the layer-2 announcer as a pure state machine: the announced IPv6 addresses, the solicited-node
/// groups they need, and for each received frame the action to take.
package struct NDPResponder: Sendable {
    package private(set) var announced = AnnouncedSet<IPv6Address>()
    package private(set) var groups = MulticastGroups()
    package internal(set) var counters = L2Counters()
    /// The hardware addresses of every interface the instance has attached: an advertisement from one of them is
    /// ours, never a conflict.
    package var localMACs: Set<MACAddress> = []

    package init() {}

    /// Adds or replaces an announcement; returns the membership changes it needs.
    package mutating func announce(id: String, address: IPv6Address, interfaces: InterfacePatterns?) -> [L2Membership] {
        let change = announced.announce(id: id, address: address, interfaces: interfaces)
        var out: [L2Membership] = []
        if let removed = change.removed { counters.forget(removed.description) }
        if let removed = change.removed, groups.release(removed.solicitedNode.multicastMAC) {
            out.append(.leave(removed.solicitedNode.multicastMAC))
        }
        if let added = change.added, groups.retain(added.solicitedNode.multicastMAC) {
            out.append(.join(added.solicitedNode.multicastMAC))
        }
        return out
    }

    /// Stops answering for the id's address at once; returns the membership changes (a leave after the last user).
    package mutating func withdraw(id: String) -> [L2Membership] {
        guard let removed = announced.withdraw(id: id) else { return [] }
        counters.forget(removed.description)
        let group = removed.solicitedNode.multicastMAC
        return groups.release(group) ? [.leave(group)] : []
    }

    /// Decides the answer to a frame received on `interface`, whose hardware address is `mac` (RFC 4861 section
    /// 7.2.3/7.2.4). Unicast NUD probes without a source link-layer option are answered to the frame's source.
    ///
    /// A received Neighbor Advertisement for an address we announce on the interface, from a link-layer address
    /// (its target link-layer option, else the Ethernet source) that is none of ours, is a conflict: another station
    /// claims the address. It needs no answer.
    package mutating func handle(
        _ bytes: UnsafeRawBufferPointer, packetType: PacketType, interface: String, mac: MACAddress
    ) -> L2Action {
        counters.frames += 1
        let solicitation: NDPFrame.Solicitation
        switch NDPFrame.parse(bytes) {
        case .drop(let reason):
            counters.drops[reason, default: 0] += 1
            return .drop(reason)
        case .ignore:
            counters.ignored += 1
            return .ignore
        case .advertisement(let a):
            let claimant = a.claimant
            guard packetType != .outgoing, announced.covers(a.target, interface: interface), claimant != mac,
                !localMACs.contains(claimant)
            else {
                counters.ignored += 1
                return .ignore
            }
            let ids = announced.ids(covering: a.target, interface: interface)
            let conflict = L2Conflict(address: a.target.description, announcementIDs: ids, otherMAC: claimant)
            counters.conflicts[conflict.address, default: 0] += 1
            return .conflict(conflict, reply: nil)
        case .solicitation(let s):
            solicitation = s
        }
        guard packetType != .otherHost, packetType != .outgoing,
            announced.covers(solicitation.target, interface: interface)
        else {
            counters.ignored += 1
            return .ignore
        }
        let key = solicitation.target.description
        counters.requests[key, default: 0] += 1
        counters.replies[key, default: 0] += 1
        return .reply(NDPFrame.answer(to: solicitation, mac: mac))
    }

    /// The unsolicited advertisement for an address (RFC 4861 section 7.2.6), if it is announced on the interface.
    package func unsolicited(_ address: IPv6Address, interface: String, mac: MACAddress) -> [[UInt8]] {
        guard announced.covers(address, interface: interface) else { return [] }
        return [NDPFrame.unsolicited(address, mac: mac)]
    }

    package mutating func recordGratuitous(_ address: IPv6Address, count: Int) {
        guard announced.contains(address) else { return }
        counters.gratuitous[address.description, default: 0] += UInt64(count)
    }
}
