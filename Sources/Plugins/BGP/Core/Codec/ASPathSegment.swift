/// One AS_PATH or AS4_PATH segment (RFC 4271 section 4.3, RFC 5065 section 3 for the confederation types).
package struct ASPathSegment: Hashable, Sendable {
    package enum Kind: UInt8, Sendable {
        case set = 1
        case sequence = 2
        case confedSequence = 3
        case confedSet = 4
    }

    package var kind: Kind
    package var asns: [UInt32]

    package init(_ kind: Kind, _ asns: [UInt32]) {
        self.kind = kind
        self.asns = asns
    }

    /// Encodes segments with 2- or 4-octet AS numbers, splitting any longer than 255 ASes. In 2-octet form an AS
    /// above 65535 becomes AS_TRANS (RFC 6793 section 4.2.2).
    static func encode(_ segments: [ASPathSegment], fourOctet: Bool, into out: inout [UInt8]) {
        for segment in segments {
            var start = 0
            repeat {
                let chunk = segment.asns[start..<min(segment.asns.count, start + 255)]
                out.append(segment.kind.rawValue)
                out.append(UInt8(chunk.count))
                for asn in chunk {
                    if fourOctet {
                        out.appendU32(asn)
                    } else {
                        out.appendU16(asn <= 0xFFFF ? UInt16(asn) : BGPOpen.asTrans)
                    }
                }
                start += 255
            } while start < segment.asns.count
        }
    }

    /// Nil when malformed as RFC 7606 section 7.2 defines it: an unknown segment type, a segment overrunning the
    /// attribute, a single trailing octet, or a segment of length zero.
    static func decode(_ bytes: ArraySlice<UInt8>, fourOctet: Bool) -> [ASPathSegment]? {
        var reader = ByteReader(bytes)
        var segments: [ASPathSegment] = []
        while !reader.isAtEnd {
            guard let type = reader.u8(), let kind = Kind(rawValue: type), let count = reader.u8(), count > 0 else {
                return nil
            }
            var asns: [UInt32] = []
            asns.reserveCapacity(Int(count))
            for _ in 0..<count {
                if fourOctet {
                    guard let asn = reader.u32() else { return nil }
                    asns.append(asn)
                } else {
                    guard let asn = reader.u16() else { return nil }
                    asns.append(UInt32(asn))
                }
            }
            segments.append(ASPathSegment(kind, asns))
        }
        return segments
    }
}
