#if canImport(HeraldAddresses)
    import HeraldAddresses  // scripts/fuzz-l2 compiles the address sources into the codec's module instead
#endif

/// What the shared I/O layer needs from a protocol's pure responder (ARP or NDP).
package protocol L2Responder: Sendable {
    associatedtype Address: Hashable & Sendable & CustomStringConvertible

    init()
    /// Short protocol name, used as the metric prefix ("arp", "ndp").
    static var protocolName: String { get }
    /// Address width in bytes (4 or 16); the announcement's family must match.
    static var addressWidth: Int { get }
    /// The EtherType the packet socket is bound to.
    static var etherType: UInt16 { get }

    static func address(_ bytes: [UInt8]) -> Address?

    var announced: AnnouncedSet<Address> { get }
    var counters: L2Counters { get }
    /// The hardware addresses of the attached interfaces, which never count as another station's.
    var localMACs: Set<MACAddress> { get set }
    /// Multicast groups every selected interface must have joined.
    var joinedGroups: [MACAddress] { get }

    mutating func announce(id: String, address: Address, interfaces: InterfacePatterns?) -> [L2Membership]
    mutating func withdraw(id: String) -> [L2Membership]
    mutating func handle(
        _ bytes: UnsafeRawBufferPointer, packetType: PacketType, interface: String, mac: MACAddress
    ) -> L2Action
    /// The frames of one gratuitous round for the address on the interface (empty when not announced there).
    func gratuitous(_ address: Address, interface: String, mac: MACAddress) -> [[UInt8]]
    /// Counts gratuitous frames sent for an address; nothing once the address is no longer announced (a round that
    /// was in flight when it was withdrawn must not bring its counters back).
    mutating func recordGratuitous(_ address: Address, count: Int)
    /// Counts a frame the I/O layer dropped before parsing (for example a VLAN tag in the socket's metadata).
    mutating func recordDrop(_ reason: L2DropReason)
}

extension ARPResponder: L2Responder {
    package static let protocolName = "arp"
    package static let addressWidth = 4
    package static let etherType = ARPFrame.etherType
    package static func address(_ bytes: [UInt8]) -> IPv4Address? { IPv4Address(bytes) }
    package var joinedGroups: [MACAddress] { [] }

    package mutating func recordDrop(_ reason: L2DropReason) {
        counters.frames += 1
        counters.drops[reason, default: 0] += 1
    }

    package mutating func announce(id: String, address: IPv4Address, interfaces: InterfacePatterns?) -> [L2Membership] {
        let change = announced.announce(id: id, address: address, interfaces: interfaces)
        if let removed = change.removed { counters.forget(removed.description) }
        return []
    }

    package mutating func withdraw(id: String) -> [L2Membership] {
        if let removed = announced.withdraw(id: id) { counters.forget(removed.description) }
        return []
    }
}

extension NDPResponder: L2Responder {
    package static let protocolName = "ndp"
    package static let addressWidth = 16
    package static let etherType = NDPFrame.etherType
    package static func address(_ bytes: [UInt8]) -> IPv6Address? { IPv6Address(bytes) }
    package var joinedGroups: [MACAddress] { groups.groups }

    package mutating func recordDrop(_ reason: L2DropReason) {
        counters.frames += 1
        counters.drops[reason, default: 0] += 1
    }

    package func gratuitous(_ address: IPv6Address, interface: String, mac: MACAddress) -> [[UInt8]] {
        unsolicited(address, interface: interface, mac: mac)
    }
}
