/// An OPEN message (RFC 4271 section 4.2) with its capabilities (RFC 5492), carried as one Capabilities optional
/// parameter (type 2) each.
package struct BGPOpen: Hashable, Sendable {
    /// The AS_TRANS placeholder a 4-octet AS speaker puts in the 2-octet field (RFC 6793 section 9).
    package static let asTrans: UInt16 = 23456

    package var version: UInt8 = 4
    /// The 2-octet "My Autonomous System" field; use `asn` for the speaker's real AS.
    package var myAS: UInt16
    package var holdTime: UInt16
    package var identifier: UInt32
    package var capabilities: [BGPCapability]

    /// An OPEN for `asn`, putting AS_TRANS in the 2-octet field when the AS does not fit (RFC 6793 section 4.1)
    /// and always advertising the 4-octet AS capability.
    package init(asn: UInt32, holdTime: UInt16, identifier: UInt32, capabilities: [BGPCapability]) {
        self.myAS = asn <= 0xFFFF ? UInt16(asn) : Self.asTrans
        self.holdTime = holdTime
        self.identifier = identifier
        var all = capabilities.filter { if case .fourOctetAS = $0 { false } else { true } }
        all.append(.fourOctetAS(asn))
        self.capabilities = all
    }

    init(version: UInt8, myAS: UInt16, holdTime: UInt16, identifier: UInt32, capabilities: [BGPCapability]) {
        self.version = version
        self.myAS = myAS
        self.holdTime = holdTime
        self.identifier = identifier
        self.capabilities = capabilities
    }

    /// The speaker's AS: the 4-octet capability's value when present, else the 2-octet field (RFC 6793 section 4.1).
    package var asn: UInt32 {
        for case .fourOctetAS(let asn) in capabilities { return asn }
        return UInt32(myAS)
    }

    package var families: [AddressFamily] {
        capabilities.compactMap { if case .multiprotocol(let f) = $0 { f } else { nil } }
    }

    package var gracefulRestart: BGPCapability.GracefulRestart? {
        for case .gracefulRestart(let gr) in capabilities { return gr }
        return nil
    }

    package func has(_ capability: BGPCapability) -> Bool { capabilities.contains(capability) }

    func encodeBody(into out: inout [UInt8]) {
        out.append(version)
        out.appendU16(myAS)
        out.appendU16(holdTime)
        out.appendU32(identifier)
        // Capabilities share one Capabilities parameter while it has room (as BIRD and GoBGP send them), then open
        // another (RFC 5492 section 4); whatever would not fit the 255-octet parameters field is left out.
        var parameters: [UInt8] = []
        var current: [UInt8] = []
        func close() {
            guard !current.isEmpty else { return }
            parameters += [2, UInt8(current.count)] + current
            current = []
        }
        for capability in capabilities {
            let value = capability.value
            guard value.count <= 253 else { continue }
            let encoded = [capability.code, UInt8(value.count)] + value
            if current.count + encoded.count > 255 { close() }
            guard parameters.count + 2 + current.count + encoded.count <= 255 else { break }
            current += encoded
        }
        close()
        out.append(UInt8(parameters.count))
        out.append(contentsOf: parameters)
    }

    /// Decodes and checks the fields RFC 4271 section 6.2 asks every speaker to check; the expected peer AS and
    /// the hold time policy are the session's business.
    static func decode(_ body: ArraySlice<UInt8>) throws(BGPDecodeError) -> BGPOpen {
        var reader = ByteReader(body)
        guard let version = reader.u8(), let myAS = reader.u16(), let holdTime = reader.u16(),
            let identifier = reader.u32(), let parametersLength = reader.u8()
        else { throw BGPDecodeError(.malformedOpen, "OPEN shorter than its fixed fields") }
        guard version == 4 else { throw BGPDecodeError(.unsupportedVersion, "BGP version \(version)") }
        guard holdTime == 0 || holdTime >= 3 else {
            throw BGPDecodeError(.unacceptableHoldTime, "hold time \(holdTime) s (must be 0 or at least 3)")
        }
        // RFC 6286 section 2.2: any non-zero identifier is valid.
        guard identifier != 0 else { throw BGPDecodeError(.badBGPIdentifier, "BGP identifier 0") }
        guard Int(parametersLength) == reader.remaining,
            var parameters = reader.slice(Int(parametersLength)).map(ByteReader.init)
        else {
            throw BGPDecodeError(
                .malformedOpen, "optional parameters length \(parametersLength) disagrees with the message length")
        }
        var capabilities: [BGPCapability] = []
        while !parameters.isAtEnd {
            guard let type = parameters.u8(), let length = parameters.u8(), let value = parameters.slice(Int(length))
            else {
                throw BGPDecodeError(.malformedOpen, "an optional parameter overruns the OPEN")
            }
            // Type 2 is Capabilities (RFC 5492 section 4); RFC 4271's other optional parameter is obsolete.
            guard type == 2 else {
                throw BGPDecodeError(.unsupportedOptionalParameter, "optional parameter type \(type)")
            }
            var caps = ByteReader(value)
            while !caps.isAtEnd {
                guard let code = caps.u8(), let capLength = caps.u8(), let capValue = caps.slice(Int(capLength)) else {
                    throw BGPDecodeError(.malformedOpen, "a capability overruns its parameter")
                }
                capabilities.append(BGPCapability.decode(code: code, value: capValue))
            }
        }
        try checkAS(myAS: myAS, capabilities: capabilities)
        return BGPOpen(
            version: version, myAS: myAS, holdTime: holdTime, identifier: identifier, capabilities: capabilities)
    }

    /// Cross-checks My AS against the 4-octet AS capability (RFC 6793 section 4.1, as FRR and BIRD do): a speaker
    /// whose AS fits 2 octets puts it in My AS, one whose AS does not puts AS_TRANS there; AS_TRANS without the
    /// capability, a capability that disagrees with a My AS other than AS_TRANS, or a capability of AS 0 (RFC 7607)
    /// is Bad Peer AS.
    static func checkAS(myAS: UInt16, capabilities: [BGPCapability]) throws(BGPDecodeError) {
        let fourOctet = capabilities.compactMap { if case .fourOctetAS(let asn) = $0 { asn } else { nil } }
        guard let asn = fourOctet.first else {
            guard myAS != asTrans else {
                throw BGPDecodeError(.badPeerAS, "My AS is AS_TRANS (23456) without the 4-octet AS capability")
            }
            return
        }
        guard fourOctet.allSatisfy({ $0 == asn }) else {
            throw BGPDecodeError(
                .badPeerAS,
                "4-octet AS capabilities disagree: "
                    + fourOctet.map { String($0) }.joined(separator: ", "))
        }
        guard asn != 0 else { throw BGPDecodeError(.badPeerAS, "4-octet AS capability of AS 0") }
        if myAS == asTrans { return }
        guard asn == UInt32(myAS) else {
            throw BGPDecodeError(
                .badPeerAS,
                asn > 0xFFFF
                    ? "4-octet AS capability of AS \(asn) with My AS \(myAS) (must be AS_TRANS, 23456)"
                    : "4-octet AS capability of AS \(asn) disagrees with My AS \(myAS)")
        }
    }
}
