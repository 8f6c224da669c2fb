/// What one session is configured with; the state machine's only input besides events and the time.
public struct BGPSessionSettings: Sendable, Equatable {
    public var localASN: UInt32
    public var peerASN: UInt32
    /// The local BGP Identifier (RFC 4271 section 4.2; RFC 6286: any non-zero value).
    public var routerID: UInt32
    /// Proposed hold time in seconds: 0 (no keepalives) or at least 3 (RFC 4271 section 4.2).
    public var holdTime: UInt16
    /// Keepalive interval in seconds; nil for a third of the negotiated hold time (RFC 4271 section 10).
    public var keepaliveTime: UInt16?
    public var families: [AddressFamily]
    /// Graceful Restart restart time to advertise, nil to not advertise the capability (RFC 4724 section 3).
    public var gracefulRestartTime: UInt16?
    /// Set the Restart State bit: this speaker has just restarted (RFC 4724 section 3).
    public var restarting: Bool
    /// Wait for the peer to connect instead of connecting (PassiveTcpEstablishment, RFC 4271 section 8.1.1).
    public var passive: Bool
    /// Advertise Extended Message (RFC 8654).
    public var extendedMessages: Bool
    /// The first retry delay and its cap, in nanoseconds: each consecutive failure doubles the delay (the
    /// DampPeerOscillations of RFC 4271 section 8.1.1, as exponential backoff).
    public var retryBase: UInt64
    public var retryMax: UInt64

    public init(
        localASN: UInt32, peerASN: UInt32, routerID: UInt32, holdTime: UInt16 = 90, keepaliveTime: UInt16? = nil,
        families: [AddressFamily] = [.ipv4Unicast], gracefulRestartTime: UInt16? = nil, restarting: Bool = false,
        passive: Bool = false, extendedMessages: Bool = true, retryBase: UInt64 = 1_000_000_000,
        retryMax: UInt64 = 60_000_000_000
    ) {
        self.localASN = localASN
        self.peerASN = peerASN
        self.routerID = routerID
        self.holdTime = holdTime
        self.keepaliveTime = keepaliveTime
        self.families = families
        self.gracefulRestartTime = gracefulRestartTime
        self.restarting = restarting
        self.passive = passive
        self.extendedMessages = extendedMessages
        self.retryBase = retryBase
        self.retryMax = retryMax
    }

    public var isInternal: Bool { localASN == peerASN }

    /// The OPEN this speaker sends.
    public var open: BGPOpen {
        var capabilities: [BGPCapability] = families.map { .multiprotocol($0) }
        capabilities.append(.routeRefresh)
        if extendedMessages { capabilities.append(.extendedMessage) }
        if let gracefulRestartTime {
            // Forwarding is the kernel's and survives a restart of this speaker: the F bit is set.
            capabilities.append(
                .gracefulRestart(
                    .init(
                        restarting: restarting, restartTime: gracefulRestartTime,
                        families: families.map { .init(family: $0, forwardingPreserved: true) })))
        }
        return BGPOpen(asn: localASN, holdTime: holdTime, identifier: routerID, capabilities: capabilities)
    }
}
