/// A BFD session state as carried in the State field of a control packet (RFC 5880 section 4.1).
package enum BFDState: UInt8, Sendable, Equatable, CustomStringConvertible {
    case adminDown = 0
    case down = 1
    case initializing = 2
    case up = 3

    package var description: String {
        switch self {
        case .adminDown: "AdminDown"
        case .down: "Down"
        case .initializing: "Init"
        case .up: "Up"
        }
    }
}

/// The Diagnostic field (RFC 5880 section 4.1): why the session last left Up.
package enum BFDDiagnostic: UInt8, Sendable, Equatable, CustomStringConvertible {
    case none = 0
    case controlDetectionTimeExpired = 1
    case echoFunctionFailed = 2
    case neighborSignaledSessionDown = 3
    case forwardingPlaneReset = 4
    case pathDown = 5
    case concatenatedPathDown = 6
    case administrativelyDown = 7
    case reverseConcatenatedPathDown = 8

    package var description: String {
        switch self {
        case .none: "no diagnostic"
        case .controlDetectionTimeExpired: "control detection time expired"
        case .echoFunctionFailed: "echo function failed"
        case .neighborSignaledSessionDown: "neighbor signaled session down"
        case .forwardingPlaneReset: "forwarding plane reset"
        case .pathDown: "path down"
        case .concatenatedPathDown: "concatenated path down"
        case .administrativelyDown: "administratively down"
        case .reverseConcatenatedPathDown: "reverse concatenated path down"
        }
    }
}

/// Why a received control packet was discarded (RFC 5880 section 6.8.6, the checks before session selection).
package enum BFDDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Fewer bytes than the mandatory section, or than the Length field says.
    case truncated(Int)
    case unsupportedVersion(UInt8)
    /// The Length field is below the minimum (24, or 26 with authentication) or above the datagram.
    case badLength(UInt8)
    case zeroDetectMultiplier
    /// The Multipoint bit is reserved and must be zero.
    case multipoint
    case zeroMyDiscriminator
    /// Your Discriminator is zero while the State is Init or Up.
    case zeroYourDiscriminator(BFDState)
    /// Herald runs BFD without authentication: a packet with the A bit is discarded, as the RFC requires when no
    /// authentication is configured.
    case authenticationPresent
    /// A diagnostic code above 8 (reserved).
    case unknownDiagnostic(UInt8)

    package var description: String {
        switch self {
        case .truncated(let n): "truncated control packet (\(n) bytes)"
        case .unsupportedVersion(let v): "unsupported version \(v)"
        case .badLength(let l): "bad length field \(l)"
        case .zeroDetectMultiplier: "detect multiplier 0"
        case .multipoint: "multipoint bit set"
        case .zeroMyDiscriminator: "my discriminator 0"
        case .zeroYourDiscriminator(let s): "your discriminator 0 in state \(s)"
        case .authenticationPresent: "authentication section present (not configured)"
        case .unknownDiagnostic(let d): "unknown diagnostic \(d)"
        }
    }
}

/// A BFD control packet (RFC 5880 section 4.1), without authentication: intervals in microseconds, as on the wire.
package struct BFDControlPacket: Sendable, Equatable {
    package static let version: UInt8 = 1
    /// The length of the mandatory section.
    package static let length = 24

    package var diagnostic: BFDDiagnostic = .none
    package var state: BFDState
    package var poll = false
    package var final = false
    /// Control Plane Independent.
    package var controlPlaneIndependent = false
    package var demand = false
    package var detectMultiplier: UInt8
    package var myDiscriminator: UInt32
    package var yourDiscriminator: UInt32
    package var desiredMinTxInterval: UInt32
    package var requiredMinRxInterval: UInt32
    package var requiredMinEchoRxInterval: UInt32 = 0

    package init(
        diagnostic: BFDDiagnostic = .none, state: BFDState, poll: Bool = false, final: Bool = false,
        controlPlaneIndependent: Bool = false, demand: Bool = false, detectMultiplier: UInt8, myDiscriminator: UInt32,
        yourDiscriminator: UInt32, desiredMinTxInterval: UInt32, requiredMinRxInterval: UInt32,
        requiredMinEchoRxInterval: UInt32 = 0
    ) {
        self.diagnostic = diagnostic
        self.state = state
        self.poll = poll
        self.final = final
        self.controlPlaneIndependent = controlPlaneIndependent
        self.demand = demand
        self.detectMultiplier = detectMultiplier
        self.myDiscriminator = myDiscriminator
        self.yourDiscriminator = yourDiscriminator
        self.desiredMinTxInterval = desiredMinTxInterval
        self.requiredMinRxInterval = requiredMinRxInterval
        self.requiredMinEchoRxInterval = requiredMinEchoRxInterval
    }

    /// Decodes one UDP payload and applies the checks RFC 5880 section 6.8.6 makes before a session is selected.
    /// Bytes after the Length field's end are ignored (the RFC allows a datagram longer than the packet).
    package static func decode(_ bytes: some Collection<UInt8>) throws(BFDDecodeError) -> BFDControlPacket {
        let b = Array(bytes.prefix(255))
        guard b.count >= length else { throw .truncated(b.count) }
        let version = b[0] >> 5
        guard version == Self.version else { throw .unsupportedVersion(version) }
        let flags = b[1] & 0x3F
        let authenticated = flags & 0x04 != 0
        let declared = b[3]
        guard Int(declared) >= (authenticated ? length + 2 : length), Int(declared) <= bytes.count else {
            throw .badLength(declared)
        }
        if authenticated { throw .authenticationPresent }
        guard let diagnostic = BFDDiagnostic(rawValue: b[0] & 0x1F) else { throw .unknownDiagnostic(b[0] & 0x1F) }
        let state = BFDState(rawValue: b[1] >> 6)!
        let multiplier = b[2]
        guard multiplier != 0 else { throw .zeroDetectMultiplier }
        guard flags & 0x01 == 0 else { throw .multipoint }
        // The Length check above guarantees the 24 bytes these reads take.
        var reader = ByteReader(b[4..<length])
        let mine = reader.u32()!
        guard mine != 0 else { throw .zeroMyDiscriminator }
        let yours = reader.u32()!
        guard yours != 0 || state == .down || state == .adminDown else { throw .zeroYourDiscriminator(state) }
        let (tx, rx, echo) = (reader.u32()!, reader.u32()!, reader.u32()!)
        return BFDControlPacket(
            diagnostic: diagnostic, state: state, poll: flags & 0x20 != 0, final: flags & 0x10 != 0,
            controlPlaneIndependent: flags & 0x08 != 0, demand: flags & 0x02 != 0, detectMultiplier: multiplier,
            myDiscriminator: mine, yourDiscriminator: yours, desiredMinTxInterval: tx, requiredMinRxInterval: rx,
            requiredMinEchoRxInterval: echo)
    }

    /// The 24 bytes on the wire.
    package var encoded: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.length)
        out.append(Self.version << 5 | diagnostic.rawValue)
        var flags = state.rawValue << 6
        if poll { flags |= 0x20 }
        if final { flags |= 0x10 }
        if controlPlaneIndependent { flags |= 0x08 }
        if demand { flags |= 0x02 }
        out.append(flags)
        out.append(detectMultiplier)
        out.append(UInt8(Self.length))
        for value in [
            myDiscriminator, yourDiscriminator, desiredMinTxInterval, requiredMinRxInterval, requiredMinEchoRxInterval,
        ] {
            out.appendU32(value)
        }
        return out
    }
}
