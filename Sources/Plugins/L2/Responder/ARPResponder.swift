#if canImport(HeraldAddresses)
    import HeraldAddresses  // scripts/fuzz-l2 compiles the address sources into the codec's module instead
#endif

/// The ARP side of the layer-2 announcer as a pure state machine: the announced IPv4 addresses, and for each received
/// frame the action to take. No sockets, no clocks; the I/O layer performs the actions.
package struct ARPResponder: Sendable {
    package internal(set) var announced = AnnouncedSet<IPv4Address>()
    package internal(set) var counters = L2Counters()
    /// The hardware addresses of every interface the instance has attached: a frame from one of them is ours, never
    /// a conflict (two interfaces of this node on one segment).
    package var localMACs: Set<MACAddress> = []

    package init() {}

    /// Decides the answer to a frame received on `interface`, whose hardware address is `mac`.
    ///
    /// RFC 826 "Packet Reception": answer a request whose target protocol address is ours, with our hardware address,
    /// whether it was broadcast or unicast to us. Frames for other stations, replies, and gratuitous announcements by
    /// other hosts (sender address equal to target address, RFC 5227 section 2.4) get no answer.
    ///
    /// Any received request or reply (gratuitous or not, to us or not) whose sender protocol address is one we
    /// announce on the interface, from a sender hardware address other than ours, is a conflict (RFC 5227 section
    /// 2.4): the action says so, together with the answer the frame gets anyway.
    package mutating func handle(
        _ bytes: UnsafeRawBufferPointer, packetType: PacketType, interface: String, mac: MACAddress
    ) -> L2Action {
        counters.frames += 1
        let frame: ARPFrame
        switch ARPFrame.parse(bytes) {
        case .drop(let reason):
            counters.drops[reason, default: 0] += 1
            return .drop(reason)
        case .frame(let parsed):
            frame = parsed
        }
        let answer = answer(frame, packetType: packetType, interface: interface, mac: mac)
        guard let conflict = conflict(in: frame, packetType: packetType, interface: interface, mac: mac) else {
            return answer
        }
        counters.conflicts[conflict.address, default: 0] += 1
        return .conflict(conflict, reply: answer.frameToSend)
    }

    /// The answer part of `handle`: a reply, or ignore.
    private mutating func answer(
        _ request: ARPFrame, packetType: PacketType, interface: String, mac: MACAddress
    ) -> L2Action {
        guard request.operation == .request, packetType != .otherHost, packetType != .outgoing,
            announced.covers(request.targetAddress, interface: interface)
        else {
            counters.ignored += 1
            return .ignore
        }
        let key = request.targetAddress.description
        counters.requests[key, default: 0] += 1
        if request.senderAddress == request.targetAddress {
            counters.ignored += 1
            return .ignore
        }
        counters.replies[key, default: 0] += 1
        return .reply(ARPFrame.reply(to: request, from: mac).encoded())
    }

    /// Another station claiming one of our addresses: a frame not sent by us whose sender protocol address is
    /// announced on the interface and whose sender hardware address is not the interface's (nor another of ours).
    private func conflict(
        in frame: ARPFrame, packetType: PacketType, interface: String, mac: MACAddress
    ) -> L2Conflict? {
        // Cheapest test first: most frames come from stations that claim none of our addresses.
        guard packetType != .outgoing, announced.covers(frame.senderAddress, interface: interface),
            frame.senderHardware != mac, !localMACs.contains(frame.senderHardware)
        else { return nil }
        let ids = announced.ids(covering: frame.senderAddress, interface: interface)
        return L2Conflict(
            address: frame.senderAddress.description, announcementIDs: ids, otherMAC: frame.senderHardware)
    }

    /// The gratuitous ARP pair for an address (RFC 5227 section 3: request form, then reply form), if the address
    /// is announced on the interface.
    package func gratuitous(_ address: IPv4Address, interface: String, mac: MACAddress) -> [[UInt8]] {
        guard announced.covers(address, interface: interface) else { return [] }
        return [
            ARPFrame.gratuitous(address, from: mac, operation: .request).encoded(),
            ARPFrame.gratuitous(address, from: mac, operation: .reply).encoded(),
        ]
    }

    /// Records that `count` gratuitous frames for `address` went out, while it is announced.
    package mutating func recordGratuitous(_ address: IPv4Address, count: Int) {
        guard announced.contains(address) else { return }
        counters.gratuitous[address.description, default: 0] += UInt64(count)
    }
}
