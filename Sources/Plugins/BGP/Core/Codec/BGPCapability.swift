/// A capability advertised in OPEN (RFC 5492 section 4: code, length, value).
package enum BGPCapability: Hashable, Sendable {
    /// Code 1: multiprotocol extensions for one AFI/SAFI (RFC 4760 section 8).
    case multiprotocol(AddressFamily)
    /// Code 2: route refresh (RFC 2918 section 2).
    case routeRefresh
    /// Code 6: messages up to 65535 octets (RFC 8654 section 3).
    case extendedMessage
    /// Code 64: graceful restart (RFC 4724 section 3).
    case gracefulRestart(GracefulRestart)
    /// Code 65: 4-octet AS numbers, carrying the speaker's AS (RFC 6793 section 3).
    case fourOctetAS(UInt32)
    /// Any other capability, kept as received.
    case unknown(code: UInt8, value: [UInt8])

    /// The Graceful Restart capability value (RFC 4724 section 3).
    package struct GracefulRestart: Hashable, Sendable {
        /// One address family the speaker preserves forwarding state for.
        package struct Family: Hashable, Sendable {
            package var family: AddressFamily
            /// The F bit: forwarding state was preserved across the restart.
            package var forwardingPreserved: Bool

            package init(family: AddressFamily, forwardingPreserved: Bool) {
                self.family = family
                self.forwardingPreserved = forwardingPreserved
            }
        }

        /// The R bit: the speaker has restarted.
        package var restarting: Bool
        /// Restart Time in seconds, 0...4095.
        package var restartTime: UInt16
        package var families: [Family]

        package init(restarting: Bool, restartTime: UInt16, families: [Family]) {
            self.restarting = restarting
            self.restartTime = min(restartTime, 4095)
            self.families = families
        }
    }

    var code: UInt8 {
        switch self {
        case .multiprotocol: 1
        case .routeRefresh: 2
        case .extendedMessage: 6
        case .gracefulRestart: 64
        case .fourOctetAS: 65
        case .unknown(let code, _): code
        }
    }

    var value: [UInt8] {
        var out: [UInt8] = []
        switch self {
        case .multiprotocol(let family):
            out.appendU16(family.afi)
            out.append(0)
            out.append(family.safi)
        case .routeRefresh, .extendedMessage: break
        case .gracefulRestart(let gr):
            out.appendU16((gr.restarting ? 0x8000 : 0) | (gr.restartTime & 0x0FFF))
            for f in gr.families {
                out.appendU16(f.family.afi)
                out.append(f.family.safi)
                out.append(f.forwardingPreserved ? 0x80 : 0)
            }
        case .fourOctetAS(let asn): out.appendU32(asn)
        case .unknown(_, let value): out = value
        }
        return out
    }

    /// Decodes one capability's value. A known capability with a malformed value is kept as `.unknown`, so that a
    /// peer's oddity never resets the session by itself (RFC 5492 section 3: a speaker ignores what it does not
    /// understand).
    static func decode(code: UInt8, value: ArraySlice<UInt8>) -> BGPCapability {
        var reader = ByteReader(value)
        switch code {
        case 1 where value.count == 4:
            let afi = reader.u16()!
            _ = reader.u8()
            return .multiprotocol(AddressFamily(afi: afi, safi: reader.u8()!))
        case 2 where value.isEmpty: return .routeRefresh
        case 6 where value.isEmpty: return .extendedMessage
        case 64 where value.count >= 2 && (value.count - 2) % 4 == 0:
            let head = reader.u16()!
            var families: [GracefulRestart.Family] = []
            while let afi = reader.u16(), let safi = reader.u8(), let flags = reader.u8() {
                families.append(
                    .init(family: AddressFamily(afi: afi, safi: safi), forwardingPreserved: flags & 0x80 != 0))
            }
            return .gracefulRestart(
                GracefulRestart(restarting: head & 0x8000 != 0, restartTime: head & 0x0FFF, families: families))
        case 65 where value.count == 4: return .fourOctetAS(reader.u32()!)
        default: return .unknown(code: code, value: Array(value))
        }
    }
}
