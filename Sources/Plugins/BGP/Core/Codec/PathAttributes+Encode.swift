extension PathAttributes {
    /// Encodes the attributes in type-code order. With a 2-octet AS session, any AS above 65535 in AS_PATH becomes
    /// AS_TRANS and the real path travels in AS4_PATH (RFC 6793 section 4.2.2).
    func encode(fourOctetAS: Bool, into out: inout [UInt8]) {
        func attribute(_ flags: UInt8, _ type: UInt8, _ value: [UInt8]) {
            if value.count > 255 {
                out.append(flags | Flag.extendedLength)
                out.append(type)
                out.appendU16(UInt16(truncatingIfNeeded: value.count))
            } else {
                out.append(flags)
                out.append(type)
                out.append(UInt8(value.count))
            }
            out.append(contentsOf: value)
        }
        if let origin { attribute(Flag.transitive, TypeCode.origin, [origin.rawValue]) }
        var as4 = as4Path
        if let asPath {
            var value: [UInt8] = []
            ASPathSegment.encode(asPath, fourOctet: fourOctetAS, into: &value)
            attribute(Flag.transitive, TypeCode.asPath, value)
            if !fourOctetAS, as4 == nil, asPath.contains(where: { $0.asns.contains { $0 > 0xFFFF } }) { as4 = asPath }
        }
        if let nextHop { attribute(Flag.transitive, TypeCode.nextHop, nextHop) }
        if let med { attribute(Flag.optional, TypeCode.multiExitDisc, u32(med)) }
        if let localPreference { attribute(Flag.transitive, TypeCode.localPref, u32(localPreference)) }
        if atomicAggregate { attribute(Flag.transitive, TypeCode.atomicAggregate, []) }
        if let aggregator { attribute(Flag.optional | Flag.transitive, TypeCode.aggregator, aggregator) }
        if !communities.isEmpty {
            attribute(Flag.optional | Flag.transitive, TypeCode.communities, communities.flatMap { u32($0.value) })
        }
        if let mpReach {
            var value: [UInt8] = []
            value.appendU16(mpReach.family.afi)
            value.append(mpReach.family.safi)
            value.append(UInt8(truncatingIfNeeded: mpReach.nextHop.count))
            value.append(contentsOf: mpReach.nextHop)
            value.append(0)
            for prefix in mpReach.nlri { prefix.encode(into: &value) }
            attribute(Flag.optional, TypeCode.mpReachNLRI, value)
        }
        if let mpUnreach {
            var value: [UInt8] = []
            value.appendU16(mpUnreach.family.afi)
            value.append(mpUnreach.family.safi)
            for prefix in mpUnreach.withdrawn { prefix.encode(into: &value) }
            attribute(Flag.optional, TypeCode.mpUnreachNLRI, value)
        }
        if let as4, !fourOctetAS {
            var value: [UInt8] = []
            ASPathSegment.encode(as4, fourOctet: true, into: &value)
            attribute(Flag.optional | Flag.transitive, TypeCode.as4Path, value)
        }
        if let as4Aggregator, !fourOctetAS {
            attribute(Flag.optional | Flag.transitive, TypeCode.as4Aggregator, as4Aggregator)
        }
        if !largeCommunities.isEmpty {
            let value = largeCommunities.flatMap { u32($0.global) + u32($0.local1) + u32($0.local2) }
            attribute(Flag.optional | Flag.transitive, TypeCode.largeCommunity, value)
        }
        for raw in other { attribute(raw.flags & ~Flag.extendedLength, raw.type, raw.value) }
    }

    private func u32(_ value: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        out.appendU32(value)
        return out
    }
}
