import HeraldBGP
import Testing

/// RFC 7606 (revised error handling for UPDATE) and RFC 4271 section 6 (message header and OPEN errors): what
/// becomes treat-as-withdraw, attribute discard, or a NOTIFICATION and session reset.
struct ErrorHandlingTests {
    /// An UPDATE body from its attribute bytes and IPv4 NLRI bytes.
    static func update(
        attributes: [UInt8], nlri: [UInt8] = [32, 198, 51, 100, 50], withdrawn: [UInt8] = []
    ) -> BGPFrame {
        var body: [UInt8] = [UInt8(withdrawn.count >> 8), UInt8(withdrawn.count & 0xFF)] + withdrawn
        body += [UInt8(attributes.count >> 8), UInt8(attributes.count & 0xFF)] + attributes + nlri
        return BGPFrame(type: 2, body: body)
    }

    static let origin: [UInt8] = [0x40, 1, 1, 0]
    static let asPath: [UInt8] = [0x40, 2, 6, 2, 1, 0, 0, 0xFC, 0]
    static let nextHop: [UInt8] = [0x40, 3, 4, 198, 51, 100, 11]
    static let valid = origin + asPath + nextHop
    /// 2001:db8::1.
    static let v6NextHop: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
    /// An MP_REACH_NLRI for IPv6 unicast with a 16-octet next hop and no NLRI.
    static let mpReachV6: [UInt8] = [0x80, 14, 21, 0, 2, 1, 16] + v6NextHop + [0]
    /// The same with a prefix length of 129 as its NLRI.
    static let mpReachV6Prefix129: [UInt8] = [0x80, 14, 22, 0, 2, 1, 16] + v6NextHop + [0, 129]

    static func decoded(_ frame: BGPFrame) throws -> BGPUpdate {
        guard case .update(let update) = try BGPMessage.decode(frame) else { throw BGPDecodeError(.malformedOpen, "") }
        return update
    }

    static func resetCode(_ frame: BGPFrame) -> (UInt8, UInt8)? {
        do {
            _ = try BGPMessage.decode(frame)
            return nil
        } catch {
            return (error.notification.code, error.notification.subcode)
        }
    }

    @Test func aValidUpdateHasNoErrors() throws {
        let update = try Self.decoded(Self.update(attributes: Self.valid))
        #expect(update.errors.isEmpty)
        #expect(update.withdrawnAll.isEmpty)
    }

    @Test(arguments: [
        ("missing ORIGIN", asPath + nextHop),
        ("missing AS_PATH", origin + nextHop),
        ("missing NEXT_HOP", origin + asPath),
        ("ORIGIN value 3", [0x40, 1, 1, 3] + asPath + nextHop),
        ("ORIGIN of 2 octets", [0x40, 1, 2, 0, 0] + asPath + nextHop),
        ("AS_PATH segment of length 0", origin + [0x40, 2, 2, 2, 0] + nextHop),
        ("AS_PATH unknown segment type", origin + [0x40, 2, 6, 9, 1, 0, 0, 0xFC, 0] + nextHop),
        ("AS_PATH overrun", origin + [0x40, 2, 6, 2, 2, 0, 0, 0xFC, 0] + nextHop),
        ("NEXT_HOP of 3 octets", origin + asPath + [0x40, 3, 3, 1, 2, 3]),
        ("ORIGIN flagged optional", [0xC0, 1, 1, 0] + asPath + nextHop),
        ("MED of 2 octets", valid + [0x80, 4, 2, 0, 1]),
        ("LOCAL_PREF of 5 octets", valid + [0x40, 5, 5, 0, 0, 0, 0, 1]),
        ("COMMUNITIES of 3 octets", valid + [0xC0, 8, 3, 1, 2, 3]),
        ("LARGE_COMMUNITY of 8 octets", valid + [0xC0, 32, 8, 0, 0, 0, 1, 0, 0, 0, 2]),
        ("attribute length overruns the field", valid + [0xC0, 8, 9, 1, 2, 3, 4]),
        ("two octets left over", valid + [0xC0, 8]),
    ])
    func treatAsWithdraw(name: String, attributes: [UInt8]) throws {
        let update = try Self.decoded(Self.update(attributes: attributes))
        #expect(!update.errors.treatAsWithdraw.isEmpty, "\(name) must be treat-as-withdraw")
        #expect(update.withdrawnAll.map(\.description) == ["198.51.100.50/32"], "\(name)")
    }

    @Test(arguments: [
        ("ATOMIC_AGGREGATE with a value", valid + [0x40, 6, 1, 0], PathAttributes.TypeCode.atomicAggregate),
        ("AGGREGATOR of 5 octets", valid + [0xC0, 7, 5, 0, 0, 0, 0, 0], PathAttributes.TypeCode.aggregator),
        ("a repeated COMMUNITIES", valid + [0xC0, 8, 4, 0, 0, 0, 1, 0xC0, 8, 4, 0, 0, 0, 2], 8),
        ("AS4_PATH malformed", valid + [0xC0, 17, 2, 2, 0], PathAttributes.TypeCode.as4Path),
    ])
    func attributeDiscard(name: String, attributes: [UInt8], type: UInt8) throws {
        let update = try Self.decoded(Self.update(attributes: attributes))
        #expect(update.errors.treatAsWithdraw.isEmpty, "\(name)")
        #expect(update.errors.discarded == [type], "\(name)")
        #expect(update.withdrawnAll.isEmpty, "\(name): the routes stay")
    }

    @Test func aRepeatedCommunitiesKeepsTheFirst() throws {
        let update = try Self.decoded(
            Self.update(attributes: Self.valid + [0xC0, 8, 4, 0, 0, 0, 1, 0xC0, 8, 4, 0, 0, 0, 2]))
        #expect(update.attributes.communities == [Community(1)])
    }

    @Test(arguments: [
        ("withdrawn length overruns", [0, 50, 0, 0], UInt8(3), UInt8(1)),
        ("attribute length overruns", [0, 0, 0, 50] + valid, 3, 1),
        ("NLRI prefix longer than 32", [0, 0, 0, 0] + [33, 1, 2, 3, 4, 5], 3, 10),
        ("NLRI overruns", [0, 0, 0, 0] + [24, 1, 2], 3, 10),
        ("withdrawn prefix overruns", [0, 2, 24, 1, 0, 0], 3, 10),
        ("unrecognized well-known attribute", [0, 0, 0, 3, 0x40, 99, 0], 3, 2),
        ("MP_REACH twice", [0, 0, 0, 48] + mpReachV6 + mpReachV6, 3, 1),
        ("MP_REACH next hop overruns", [0, 0, 0, 9, 0x80, 14, 6, 0, 2, 1, 16, 0, 0], 3, 9),
        ("MP_REACH prefix longer than 128", [0, 0, 0, 25] + mpReachV6Prefix129, 3, 9),
        ("MP_UNREACH flagged transitive", [0, 0, 0, 6, 0xC0, 15, 3, 0, 2, 1], 3, 9),
    ])
    func sessionReset(name: String, body: [UInt8], code: UInt8, subcode: UInt8) {
        let result = Self.resetCode(BGPFrame(type: 2, body: body))
        #expect(result?.0 == code && result?.1 == subcode, "\(name): got \(String(describing: result))")
    }

    @Test func unknownOptionalAttributesAreKept() throws {
        let update = try Self.decoded(Self.update(attributes: Self.valid + [0xC0, 200, 2, 7, 7]))
        #expect(update.errors.isEmpty)
        #expect(update.attributes.other == [PathAttributes.Raw(flags: 0xC0, type: 200, value: [7, 7])])
    }

    @Test func mpReachOfAnUnknownFamilyIsIgnored() throws {
        // AFI 25 (L2VPN) is not a family this codec knows: RFC 4760 section 7 says ignore it.
        let update = try Self.decoded(
            Self.update(attributes: [0x80, 14, 6, 0, 25, 65, 1, 9, 0], nlri: []))
        #expect(update.errors.isEmpty)
        #expect(update.attributes.mpReach == nil)
    }

    /// RFC 7606 section 7.11: an MP_REACH_NLRI whose next hop length is inconsistent with its AFI/SAFI is malformed;
    /// this codec resets the session (UPDATE Message Error, Optional Attribute Error).
    static let inconsistentNextHops: [(String, [UInt8])] = [
        ("IPv6 next hop of 0 octets", [0, 2, 1, 0, 0]),
        ("IPv6 next hop of 4 octets", [0, 2, 1, 4, 192, 0, 2, 1, 0]),
        ("IPv6 next hop of 24 octets", [0, 2, 1, 24] + v6NextHop + [UInt8](repeating: 0, count: 8) + [0]),
        ("IPv4 next hop of 16 octets", [0, 1, 1, 16] + v6NextHop + [0]),
        ("IPv4 next hop of 3 octets", [0, 1, 1, 3, 192, 0, 2, 0]),
    ]

    @Test func mpReachNextHopLengthInconsistentWithTheFamilyResetsTheSession() {
        for (name, value) in Self.inconsistentNextHops {
            let attributes: [UInt8] = [0x80, 14, UInt8(value.count)] + value
            let body: [UInt8] = [0, 0, 0, UInt8(attributes.count)] + attributes
            let result = Self.resetCode(BGPFrame(type: 2, body: body))
            #expect(result ?? (0, 0) == (3, 9), "\(name): got \(String(describing: result))")
        }
    }

    @Test func mpReachNextHopLengthsConsistentWithTheFamilyAreAccepted() throws {
        let linkLocal: [UInt8] = [0xFE, 0x80] + [UInt8](repeating: 0, count: 13) + [1]
        let v6Prefix: [UInt8] = [128] + Self.v6NextHop
        let cases: [(nextHop: [UInt8], afi: UInt8, nlri: [UInt8])] = [
            (Self.v6NextHop, 2, v6Prefix),
            (Self.v6NextHop + linkLocal, 2, v6Prefix),
            ([192, 0, 2, 1], 1, [32, 198, 51, 100, 7]),
        ]
        for (nextHop, afi, nlri) in cases {
            var attribute: [UInt8] = [0, afi, 1, UInt8(nextHop.count)]
            attribute += nextHop
            attribute += [0]
            attribute += nlri
            var attributes: [UInt8] = Self.origin + Self.asPath
            attributes += [0x80, 14, UInt8(attribute.count)]
            attributes += attribute
            let update = try Self.decoded(Self.update(attributes: attributes, nlri: []))
            #expect(update.errors.isEmpty)
            #expect(update.attributes.mpReach?.nextHop == nextHop)
            #expect(update.attributes.mpReach?.nlri.count == 1)
        }
    }

    /// An OPEN body for My AS `myAS` with 4-octet AS capabilities of `capabilities`.
    static func open(myAS: UInt16, capabilities: [UInt32]) -> BGPFrame {
        var parameters: [UInt8] = []
        for asn in capabilities {
            parameters += [
                2, 6, 65, 4, UInt8(asn >> 24), UInt8(asn >> 16 & 0xFF), UInt8(asn >> 8 & 0xFF), UInt8(asn & 0xFF),
            ]
        }
        let body: [UInt8] = [4, UInt8(myAS >> 8), UInt8(myAS & 0xFF), 0, 90, 198, 51, 100, 1, UInt8(parameters.count)]
        return BGPFrame(type: 1, body: body + parameters)
    }

    @Test(arguments: [
        ("2-octet AS, capability agrees", UInt16(64512), [UInt32(64512)], false),
        ("AS_TRANS, capability beyond 2 octets", 23456, [4_200_000_000], false),
        ("AS_TRANS, capability that would fit (accepted, as FRR does)", 23456, [64512], false),
        ("2-octet AS, no capability", 64512, [], false),
        ("capability disagrees with My AS", 64512, [64513], true),
        ("capability beyond 2 octets without AS_TRANS", 64512, [4_200_000_000], true),
        ("AS_TRANS without the capability", 23456, [], true),
        ("capability of AS 0", 23456, [0], true),
        ("two capabilities that disagree", 64512, [64512, 64513], true),
    ])
    func fourOctetASCapabilityIsCrossCheckedAgainstMyAS(
        name: String, myAS: UInt16, capabilities: [UInt32], refused: Bool
    ) throws {
        let result = Self.resetCode(Self.open(myAS: myAS, capabilities: capabilities))
        if refused {
            #expect(result ?? (0, 0) == (2, 2), "\(name): Bad Peer AS expected, got \(String(describing: result))")
        } else {
            #expect(result == nil, "\(name): got \(String(describing: result))")
        }
    }

    @Test func openErrors() {
        func code(_ body: [UInt8]) -> (UInt8, UInt8)? { Self.resetCode(BGPFrame(type: 1, body: body)) }
        let good: [UInt8] = [4, 0xFC, 0, 0, 90, 198, 51, 100, 1, 0]
        #expect(code(good) == nil)
        #expect(code([3] + good.dropFirst()) ?? (0, 0) == (2, 1), "version 3")
        #expect(code([4, 0xFC, 0, 0, 2, 198, 51, 100, 1, 0]) ?? (0, 0) == (2, 6), "hold time 2")
        #expect(code([4, 0xFC, 0, 0, 90, 0, 0, 0, 0, 0]) ?? (0, 0) == (2, 3), "identifier 0")
        #expect(code([4, 0xFC, 0, 0, 90, 198, 51, 100, 1, 4, 1, 2, 0, 0]) ?? (0, 0) == (2, 4), "parameter type 1")
        #expect(code([4, 0xFC, 0, 0, 90, 198, 51, 100, 1, 4, 2, 9, 0, 0]) ?? (0, 0) == (2, 0), "overrun")
        #expect(code([4, 0xFC, 0, 0, 90, 198, 51, 100, 1, 2, 2, 2, 1, 9]) ?? (0, 0) == (2, 0), "capability overrun")
    }
}
