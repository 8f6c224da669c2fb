/// An UPDATE message (RFC 4271 section 4.3): withdrawn IPv4 routes, path attributes, and IPv4 NLRI. Other families
/// travel in the MP_REACH_NLRI and MP_UNREACH_NLRI attributes (RFC 4760).
package struct BGPUpdate: Hashable, Sendable {
    package var withdrawn: [BGPPrefix]
    package var attributes: PathAttributes
    package var nlri: [BGPPrefix]
    /// What the decoder recovered from (RFC 7606); empty for an UPDATE built locally.
    package var errors: BGPUpdateErrors

    package init(withdrawn: [BGPPrefix] = [], attributes: PathAttributes = PathAttributes(), nlri: [BGPPrefix] = []) {
        self.withdrawn = withdrawn
        self.attributes = attributes
        self.nlri = nlri
        self.errors = BGPUpdateErrors()
    }

    /// The End-of-RIB marker for a family (RFC 4724 section 2): an empty UPDATE for IPv4 unicast, otherwise an
    /// UPDATE holding only an empty MP_UNREACH_NLRI.
    package static func endOfRIB(_ family: AddressFamily) -> BGPUpdate {
        guard family != .ipv4Unicast else { return BGPUpdate() }
        var attributes = PathAttributes()
        attributes.mpUnreach = .init(family: family, withdrawn: [])
        return BGPUpdate(attributes: attributes)
    }

    /// The family this UPDATE marks End-of-RIB for, or nil when it is not such a marker.
    package var endOfRIBFamily: AddressFamily? {
        guard withdrawn.isEmpty, nlri.isEmpty else { return nil }
        var bare = PathAttributes()
        if attributes == bare { return .ipv4Unicast }
        guard let unreach = attributes.mpUnreach, unreach.withdrawn.isEmpty else { return nil }
        bare.mpUnreach = unreach
        return attributes == bare ? unreach.family : nil
    }

    /// Every prefix this UPDATE announces, of every family. Under treat-as-withdraw these count as withdrawn.
    package var announced: [BGPPrefix] { nlri + (attributes.mpReach?.nlri ?? []) }

    /// Every prefix this UPDATE withdraws, including those announced under treat-as-withdraw (RFC 7606 section 2).
    package var withdrawnAll: [BGPPrefix] {
        let explicit = withdrawn + (attributes.mpUnreach?.withdrawn ?? [])
        return errors.treatAsWithdraw.isEmpty ? explicit : explicit + announced
    }

    func encodeBody(fourOctetAS: Bool, into out: inout [UInt8]) {
        var withdrawnBytes: [UInt8] = []
        for prefix in withdrawn { prefix.encode(into: &withdrawnBytes) }
        out.appendU16(UInt16(truncatingIfNeeded: withdrawnBytes.count))
        out.append(contentsOf: withdrawnBytes)
        var attributeBytes: [UInt8] = []
        attributes.encode(fourOctetAS: fourOctetAS, into: &attributeBytes)
        out.appendU16(UInt16(truncatingIfNeeded: attributeBytes.count))
        out.append(contentsOf: attributeBytes)
        for prefix in nlri { prefix.encode(into: &out) }
    }

    static func decode(_ body: ArraySlice<UInt8>, fourOctetAS: Bool) throws(BGPDecodeError) -> BGPUpdate {
        var reader = ByteReader(body)
        // RFC 7606 section 4: lengths that do not add up leave nothing to recover; session reset.
        guard let withdrawnLength = reader.u16(), let withdrawnBytes = reader.slice(Int(withdrawnLength)) else {
            throw BGPDecodeError(.malformedAttributeList, "withdrawn routes length overruns the UPDATE")
        }
        guard let attributesLength = reader.u16(), let attributeBytes = reader.slice(Int(attributesLength)) else {
            throw BGPDecodeError(.malformedAttributeList, "total path attribute length overruns the UPDATE")
        }
        guard let withdrawn = BGPPrefix.decodeList(withdrawnBytes, width: 4) else {
            throw BGPDecodeError(.invalidNetworkField, "unparsable withdrawn routes")
        }
        guard let nlri = BGPPrefix.decodeList(reader.rest(), width: 4) else {
            throw BGPDecodeError(.invalidNetworkField, "unparsable NLRI")
        }
        var errors = BGPUpdateErrors()
        let attributes = try PathAttributes.decode(attributeBytes, fourOctetAS: fourOctetAS, errors: &errors)
        var update = BGPUpdate(withdrawn: withdrawn, attributes: attributes, nlri: nlri)
        // RFC 7606 section 3 (d): a missing well-known mandatory attribute is treat-as-withdraw. They are mandatory
        // only when the UPDATE carries reachability; NEXT_HOP only for the IPv4 NLRI field (RFC 4760 section 3).
        if errors.treatAsWithdraw.isEmpty, !update.announced.isEmpty {
            if attributes.origin == nil { errors.treatAsWithdraw.append("ORIGIN missing") }
            if attributes.asPath == nil { errors.treatAsWithdraw.append("AS_PATH missing") }
            if !nlri.isEmpty, attributes.nextHop == nil { errors.treatAsWithdraw.append("NEXT_HOP missing") }
        }
        update.errors = errors
        return update
    }
}
