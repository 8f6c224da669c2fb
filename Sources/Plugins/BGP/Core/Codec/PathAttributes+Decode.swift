extension PathAttributes {
    /// Decodes the Path Attributes field of an UPDATE, applying RFC 7606: errors that leave the NLRI locatable are
    /// recorded in `errors` (treat-as-withdraw or attribute discard); only those that do not throw (session reset).
    static func decode(
        _ bytes: ArraySlice<UInt8>, fourOctetAS: Bool, errors: inout BGPUpdateErrors
    ) throws(BGPDecodeError) -> PathAttributes {
        var attributes = PathAttributes()
        var reader = ByteReader(bytes)
        var seen: Set<UInt8> = []
        while !reader.isAtEnd {
            let start = reader.index
            // RFC 7606 section 4: a header that does not fit, or a length overrunning the field, is treat-as-withdraw;
            // the Total Path Attribute Length still locates the NLRI.
            guard let flags = reader.u8(), let type = reader.u8(),
                let length = flags & Flag.extendedLength != 0 ? reader.u16().map(Int.init) : reader.u8().map(Int.init)
            else {
                errors.treatAsWithdraw.append("truncated attribute header")
                break
            }
            guard let value = reader.slice(length) else {
                if type == TypeCode.mpReachNLRI || type == TypeCode.mpUnreachNLRI {
                    throw BGPDecodeError(.malformedAttributeList, "MP_(UN)REACH_NLRI overruns the attribute field")
                }
                errors.treatAsWithdraw.append("attribute \(type) overruns the attribute field")
                break
            }
            // RFC 7606 section 3 (g): a repeated MP_(UN)REACH_NLRI resets the session; other repeats are discarded.
            guard seen.insert(type).inserted else {
                if type == TypeCode.mpReachNLRI || type == TypeCode.mpUnreachNLRI {
                    throw BGPDecodeError(.malformedAttributeList, "attribute \(type) appears twice")
                }
                errors.discarded.append(type)
                continue
            }
            let whole = Array(bytes[start..<reader.index])
            try attributes.apply(
                flags: flags, type: type, value: value, whole: whole, fourOctetAS: fourOctetAS, &errors)
        }
        return attributes
    }

    private mutating func apply(
        flags: UInt8, type: UInt8, value: ArraySlice<UInt8>, whole: [UInt8], fourOctetAS: Bool,
        _ errors: inout BGPUpdateErrors
    ) throws(BGPDecodeError) {
        let isMP = type == TypeCode.mpReachNLRI || type == TypeCode.mpUnreachNLRI
        if let expected = Self.expectedFlags(type), flags & (Flag.optional | Flag.transitive) != expected {
            // RFC 7606 section 3 (c): conflicting flags make the attribute malformed.
            if isMP { throw BGPDecodeError(.optionalAttributeError(whole), "MP attribute \(type) with flags \(flags)") }
            errors.treatAsWithdraw.append("attribute \(type) has flags \(flags)")
            return
        }
        var reader = ByteReader(value)
        switch type {
        case TypeCode.origin:
            // RFC 7606 section 7.1.
            guard value.count == 1, let origin = Origin(rawValue: reader.u8()!) else {
                return errors.treatAsWithdraw.append("malformed ORIGIN")
            }
            self.origin = origin
        case TypeCode.asPath:
            // RFC 7606 section 7.2.
            guard let path = ASPathSegment.decode(value, fourOctet: fourOctetAS) else {
                return errors.treatAsWithdraw.append("malformed AS_PATH")
            }
            asPath = path
        case TypeCode.nextHop:
            // RFC 7606 section 7.3.
            guard value.count == 4 else { return errors.treatAsWithdraw.append("NEXT_HOP of \(value.count) octets") }
            nextHop = Array(value)
        case TypeCode.multiExitDisc:
            // RFC 7606 section 7.4.
            guard value.count == 4 else { return errors.treatAsWithdraw.append("MED of \(value.count) octets") }
            med = reader.u32()
        case TypeCode.localPref:
            // RFC 7606 section 7.5.
            guard value.count == 4 else { return errors.treatAsWithdraw.append("LOCAL_PREF of \(value.count) octets") }
            localPreference = reader.u32()
        case TypeCode.atomicAggregate:
            // RFC 7606 section 7.6: attribute discard.
            guard value.isEmpty else { return errors.discarded.append(type) }
            atomicAggregate = true
        case TypeCode.aggregator:
            // RFC 7606 section 7.7: attribute discard.
            guard value.count == (fourOctetAS ? 8 : 6) else { return errors.discarded.append(type) }
            aggregator = Array(value)
        case TypeCode.communities:
            // RFC 7606 section 7.8.
            guard !value.isEmpty, value.count % 4 == 0 else {
                return errors.treatAsWithdraw.append("COMMUNITIES of \(value.count) octets")
            }
            while let c = reader.u32() { communities.append(Community(c)) }
        case TypeCode.largeCommunity:
            // RFC 8092 section 6.
            guard !value.isEmpty, value.count % 12 == 0 else {
                return errors.treatAsWithdraw.append("LARGE_COMMUNITY of \(value.count) octets")
            }
            while let a = reader.u32(), let b = reader.u32(), let c = reader.u32() {
                largeCommunities.append(LargeCommunity(a, b, c))
            }
        case TypeCode.as4Path:
            // RFC 6793 section 6: a malformed AS4_PATH is discarded.
            guard let path = ASPathSegment.decode(value, fourOctet: true) else { return errors.discarded.append(type) }
            as4Path = path
        case TypeCode.as4Aggregator:
            guard value.count == 8 else { return errors.discarded.append(type) }
            as4Aggregator = Array(value)
        case TypeCode.mpReachNLRI:
            try decodeMPReach(value, whole: whole)
        case TypeCode.mpUnreachNLRI:
            try decodeMPUnreach(value, whole: whole)
        default:
            // RFC 4271 section 6.3: an unrecognized well-known attribute is an error; optional ones are kept.
            guard flags & Flag.optional != 0 else {
                throw BGPDecodeError(
                    .unrecognizedWellKnownAttribute(whole), "unrecognized well-known attribute \(type)")
            }
            other.append(Raw(flags: flags, type: type, value: Array(value)))
        }
    }

    /// RFC 7606 section 7.11: a malformed MP_REACH_NLRI cannot be recovered from (its NLRI cannot be located).
    private mutating func decodeMPReach(_ value: ArraySlice<UInt8>, whole: [UInt8]) throws(BGPDecodeError) {
        var reader = ByteReader(value)
        guard let afi = reader.u16(), let safi = reader.u8(), let length = reader.u8(),
            let nextHop = reader.slice(Int(length)), reader.u8() != nil
        else { throw BGPDecodeError(.optionalAttributeError(whole), "MP_REACH_NLRI shorter than its header") }
        let family = AddressFamily(afi: afi, safi: safi)
        // RFC 4760 section 7: an AFI/SAFI the speaker does not know is ignored.
        guard let width = family.addressWidth, safi == 1 else {
            other.append(Raw(flags: Flag.optional, type: PathAttributes.TypeCode.mpReachNLRI, value: Array(value)))
            return
        }
        // RFC 7606 section 7.11: a next hop length inconsistent with the family is malformed, and "session reset" is
        // this codec's approach. IPv6: a global address, optionally followed by a link-local one (RFC 2545 section 3);
        // IPv4: 4 octets (RFC 4760; the RFC 8950 extended next hop is not negotiated).
        let lengths: Set<Int> = width == 16 ? [16, 32] : [4]
        guard lengths.contains(nextHop.count) else {
            throw BGPDecodeError(
                .optionalAttributeError(whole),
                "MP_REACH_NLRI next hop of \(nextHop.count) octets for AFI \(afi) SAFI \(safi) (expected "
                    + lengths.sorted().map(String.init).joined(separator: " or ") + ")")
        }
        guard let nlri = BGPPrefix.decodeList(reader.rest(), width: width) else {
            throw BGPDecodeError(.optionalAttributeError(whole), "MP_REACH_NLRI with an unparsable prefix")
        }
        mpReach = MPReach(family: family, nextHop: Array(nextHop), nlri: nlri)
    }

    private mutating func decodeMPUnreach(_ value: ArraySlice<UInt8>, whole: [UInt8]) throws(BGPDecodeError) {
        var reader = ByteReader(value)
        guard let afi = reader.u16(), let safi = reader.u8() else {
            throw BGPDecodeError(.optionalAttributeError(whole), "MP_UNREACH_NLRI shorter than its header")
        }
        let family = AddressFamily(afi: afi, safi: safi)
        guard let width = family.addressWidth, safi == 1 else {
            other.append(Raw(flags: Flag.optional, type: PathAttributes.TypeCode.mpUnreachNLRI, value: Array(value)))
            return
        }
        guard let withdrawn = BGPPrefix.decodeList(reader.rest(), width: width) else {
            throw BGPDecodeError(.optionalAttributeError(whole), "MP_UNREACH_NLRI with an unparsable prefix")
        }
        mpUnreach = MPUnreach(family: family, withdrawn: withdrawn)
    }
}
