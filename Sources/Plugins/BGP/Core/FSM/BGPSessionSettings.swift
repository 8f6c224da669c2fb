/// What one session is configured with; the state machine's only input besides events and the time.
package struct BGPSessionSettings: Sendable, Equatable {
    package var localASN: UInt32
    package var peerASN: UInt32
    /// The local BGP Identifier (RFC 4271 section 4.2; RFC 6286: any non-zero value).
    package var routerID: UInt32
    /// Proposed hold time in seconds: 0 (no keepalives) or at least 3 (RFC 4271 section 4.2).
    package var holdTime: UInt16
    /// Keepalive interval in seconds; nil for a third of the negotiated hold time (RFC 4271 section 10).
    package var keepaliveTime: UInt16?
    package var families: [AddressFamily]
    /// Graceful Restart restart time to advertise, nil to not advertise the capability (RFC 4724 section 3).
    package var gracefulRestartTime: UInt16?
    /// Set the Restart State bit: this speaker has just restarted (RFC 4724 section 3).
    package var restarting: Bool
    /// Wait for the peer to connect instead of connecting (PassiveTcpEstablishment, RFC 4271 section 8.1.1).
    package var passive: Bool
    /// Advertise Extended Message (RFC 8654).
    package var extendedMessages: Bool
    /// The first retry delay and its cap, in nanoseconds: each consecutive failure doubles the delay (the
    /// DampPeerOscillations of RFC 4271 section 8.1.1, as exponential backoff).
    package var retryBase: UInt64
    package var retryMax: UInt64

    package init(
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

    package var isInternal: Bool { localASN == peerASN }

    /// The OPEN this speaker sends.
    package var open: BGPOpen {
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
