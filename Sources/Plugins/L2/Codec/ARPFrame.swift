#if canImport(HeraldAddresses)
    import HeraldAddresses  // scripts/fuzz-l2 compiles the address sources into the codec's module instead
#endif

/// An Ethernet frame carrying an ARP packet for IPv4 over Ethernet (RFC 826).
///
/// Pure and bounded: `parse` reads at most `maximumLength` bytes, checks every length before reading, and never traps
/// on any input. This file imports only the address types, so that `scripts/fuzz-l2` can compile it with them.
package struct ARPFrame: Equatable, Sendable {
    /// ARP operation codes (RFC 826, "ar$op").
    package enum Operation: UInt16, Sendable {
        case request = 1
        case reply = 2
    }

    /// Ethernet header plus the 28-byte ARP body for hardware type Ethernet and protocol IPv4.
    package static let packetLength = 14 + 28
    /// Senders pad to the Ethernet minimum frame size (without the frame check sequence).
    package static let paddedLength = 60
    /// Longest frame accepted. An ARP packet is 28 bytes; senders pad the frame to 60 (64 with a check sequence).
    /// Anything longer than this bound is not a plausible ARP frame and is dropped as oversized.
    package static let maximumLength = 128
    package static let etherType: UInt16 = 0x0806

    package var ethernetDestination: MACAddress
    package var ethernetSource: MACAddress
    package var operation: Operation
    package var senderHardware: MACAddress
    package var senderAddress: IPv4Address
    package var targetHardware: MACAddress
    package var targetAddress: IPv4Address

    package init(
        ethernetDestination: MACAddress, ethernetSource: MACAddress, operation: Operation,
        senderHardware: MACAddress, senderAddress: IPv4Address, targetHardware: MACAddress,
        targetAddress: IPv4Address
    ) {
        self.ethernetDestination = ethernetDestination
        self.ethernetSource = ethernetSource
        self.operation = operation
        self.senderHardware = senderHardware
        self.senderAddress = senderAddress
        self.targetHardware = targetHardware
        self.targetAddress = targetAddress
    }

    /// The outcome of parsing untrusted bytes.
    package enum ParseResult: Equatable, Sendable {
        case frame(ARPFrame)
        case drop(L2DropReason)
    }

    /// Parses an Ethernet frame as received from a packet socket (no frame check sequence).
    package static func parse(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        if bytes.count > maximumLength { return .drop(.oversized) }
        if bytes.count < 14 { return .drop(.short) }
        let etherType = UInt16(bytes[12]) << 8 | UInt16(bytes[13])
        if etherType == 0x8100 || etherType == 0x88A8 { return .drop(.vlanTagged) }
        if etherType != Self.etherType { return .drop(.wrongEtherType) }
        if bytes.count < packetLength { return .drop(.short) }
        // RFC 826: ar$hrd (1 = Ethernet), ar$pro (0x0800 = IPv4), ar$hln (6), ar$pln (4).
        let hardwareType = UInt16(bytes[14]) << 8 | UInt16(bytes[15])
        let protocolType = UInt16(bytes[16]) << 8 | UInt16(bytes[17])
        if hardwareType != 1 || protocolType != 0x0800 { return .drop(.unsupportedType) }
        if bytes[18] != 6 || bytes[19] != 4 { return .drop(.badLength) }
        let rawOperation = UInt16(bytes[20]) << 8 | UInt16(bytes[21])
        guard let operation = Operation(rawValue: rawOperation) else { return .drop(.unknownOperation) }
        let senderHardware = MACAddress(bytes, at: 22)
        if senderHardware.isMulticast { return .drop(.badSender) }
        // The station that sent the frame must be the one the packet names: a sender hardware address other than the
        // Ethernet source is a forged claim (or a proxy we do not serve), never answered nor counted as a conflict.
        let ethernetSource = MACAddress(bytes, at: 6)
        if senderHardware != ethernetSource { return .drop(.senderMismatch) }
        return .frame(
            ARPFrame(
                ethernetDestination: MACAddress(bytes, at: 0),
                ethernetSource: ethernetSource,
                operation: operation,
                senderHardware: senderHardware,
                senderAddress: IPv4Address(bytes, at: 28),
                targetHardware: MACAddress(bytes, at: 32),
                targetAddress: IPv4Address(bytes, at: 38)
            ))
    }

    /// Parses a byte array (convenience for tests and tools).
    package static func parse(_ bytes: [UInt8]) -> ParseResult {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// The frame's bytes, padded with zeros to the Ethernet minimum of 60 bytes.
    package func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.paddedLength)
        ethernetDestination.append(to: &out)
        ethernetSource.append(to: &out)
        out += [0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0, UInt8(operation.rawValue)]
        senderHardware.append(to: &out)
        senderAddress.append(to: &out)
        targetHardware.append(to: &out)
        targetAddress.append(to: &out)
        out += [UInt8](repeating: 0, count: Self.paddedLength - out.count)
        return out
    }

    /// The reply a host owning `request.targetAddress` sends (RFC 826, "Packet Reception"): swap sender and target,
    /// fill in our hardware address, and send it to the requester's hardware address.
    package static func reply(to request: ARPFrame, from mac: MACAddress) -> ARPFrame {
        ARPFrame(
            ethernetDestination: request.senderHardware,
            ethernetSource: mac,
            operation: .reply,
            senderHardware: mac,
            senderAddress: request.targetAddress,
            targetHardware: request.senderHardware,
            targetAddress: request.senderAddress
        )
    }

    /// A gratuitous ARP for `address` (RFC 5227 section 3, "ARP Announcement"): broadcast, sender and target protocol
    /// address both set to the address. The request form has a zero target hardware address; the reply form repeats
    /// the sender hardware address there, which receivers such as Linux require before treating a reply as gratuitous.
    package static func gratuitous(_ address: IPv4Address, from mac: MACAddress, operation: Operation) -> ARPFrame {
        ARPFrame(
            ethernetDestination: .broadcast,
            ethernetSource: mac,
            operation: operation,
            senderHardware: mac,
            senderAddress: address,
            targetHardware: operation == .request ? .zero : mac,
            targetAddress: address
        )
    }
}
