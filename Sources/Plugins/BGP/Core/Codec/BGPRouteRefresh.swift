/// A ROUTE-REFRESH message (RFC 2918 section 3; the subtype octet is RFC 7313 section 3).
package struct BGPRouteRefresh: Hashable, Sendable {
    package var family: AddressFamily
    /// 0: a normal request; 1 and 2: Beginning and End of Route Refresh (RFC 7313).
    package var subtype: UInt8

    package init(family: AddressFamily, subtype: UInt8 = 0) {
        self.family = family
        self.subtype = subtype
    }

    func encodeBody(into out: inout [UInt8]) {
        out.appendU16(family.afi)
        out.append(subtype)
        out.append(family.safi)
    }

    static func decode(_ body: ArraySlice<UInt8>) throws(BGPDecodeError) -> BGPRouteRefresh {
        var reader = ByteReader(body)
        guard body.count == 4, let afi = reader.u16(), let subtype = reader.u8(), let safi = reader.u8() else {
            throw BGPDecodeError(.badMessageLength(UInt16(body.count + BGPLimits.headerLength)), "ROUTE-REFRESH length")
        }
        return BGPRouteRefresh(family: AddressFamily(afi: afi, safi: safi), subtype: subtype)
    }
}
