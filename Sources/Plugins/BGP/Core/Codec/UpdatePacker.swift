/// Packs many prefixes that share attributes into as few UPDATEs as fit the negotiated message size: IPv4 NLRI in
/// the UPDATE's own field with NEXT_HOP (RFC 4271 section 4.3), IPv6 in MP_REACH_NLRI (RFC 4760 section 3,
/// RFC 2545 section 3). Withdrawals pack the same way into Withdrawn Routes or MP_UNREACH_NLRI.
package enum UpdatePacker {
    /// UPDATEs announcing `prefixes` (all of `family`) with `attributes` and `nextHop` (4 or 16/32 octets).
    package static func announce(
        _ prefixes: [BGPPrefix], family: AddressFamily, attributes: PathAttributes, nextHop: [UInt8],
        options: BGPCodecOptions
    ) -> [BGPUpdate] {
        guard !prefixes.isEmpty else { return [] }
        var base = attributes
        if family == .ipv4Unicast {
            base.nextHop = nextHop
            base.mpReach = nil
        } else {
            base.nextHop = nil
            base.mpReach = .init(family: family, nextHop: nextHop, nlri: [])
        }
        var fixed: [UInt8] = []
        base.encode(fourOctetAS: options.fourOctetAS, into: &fixed)
        // Header, two length fields, attributes; an MP_REACH_NLRI may grow past 255 octets and gain a length octet.
        let overhead = BGPLimits.headerLength + 4 + fixed.count + (family == .ipv4Unicast ? 0 : 1)
        return chunks(prefixes, room: options.maxMessageLength - overhead).map { chunk in
            var attributes = base
            if family == .ipv4Unicast {
                return BGPUpdate(attributes: attributes, nlri: chunk)
            }
            attributes.mpReach?.nlri = chunk
            return BGPUpdate(attributes: attributes)
        }
    }

    /// UPDATEs withdrawing `prefixes` (all of `family`).
    package static func withdraw(
        _ prefixes: [BGPPrefix], family: AddressFamily, options: BGPCodecOptions
    )
        -> [BGPUpdate]
    {
        guard !prefixes.isEmpty else { return [] }
        if family == .ipv4Unicast {
            return chunks(prefixes, room: options.maxMessageLength - BGPLimits.headerLength - 4).map {
                BGPUpdate(withdrawn: $0)
            }
        }
        // Flags, type, 2-octet length, AFI, SAFI.
        let overhead = BGPLimits.headerLength + 4 + 7
        return chunks(prefixes, room: options.maxMessageLength - overhead).map { chunk in
            var attributes = PathAttributes()
            attributes.mpUnreach = .init(family: family, withdrawn: chunk)
            return BGPUpdate(attributes: attributes)
        }
    }

    private static func chunks(_ prefixes: [BGPPrefix], room: Int) -> [[BGPPrefix]] {
        var out: [[BGPPrefix]] = []
        var current: [BGPPrefix] = []
        var used = 0
        for prefix in prefixes {
            if used + prefix.encodedLength > room, !current.isEmpty {
                out.append(current)
                current = []
                used = 0
            }
            current.append(prefix)
            used += prefix.encodedLength
        }
        if !current.isEmpty { out.append(current) }
        return out
    }
}
