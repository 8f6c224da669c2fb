import HeraldCore
import HeraldTestSupport
import Testing

@Suite struct IPv4Tests {
    @Test(arguments: [
        ("0.0.0.0", UInt32(0)), ("255.255.255.255", UInt32.max), ("192.0.2.10", UInt32(0xC000_020A)),
        ("10.0.0.1", UInt32(0x0A00_0001)),
    ])
    func parsesAndPrints(text: String, value: UInt32) {
        #expect(IPv4Address(text)?.value == value)
        #expect(IPv4Address(value).description == text)
    }

    @Test func everyAddressPrintsAsItsFourDecimalBytesAndParsesBack() {
        // Seeded: the same 100,000 values on every run, with each byte's one-, two- and three-digit edges. Checked in
        // a plain loop, one expectation at the end: this test shares the process's two pool threads with every other.
        var generator = SplitMix64(seed: 0x1E4F_2026)
        let edges: [UInt8] = [0, 9, 10, 99, 100, 199, 200, 255]
        var values = (0..<100_000).map { _ in UInt32(truncatingIfNeeded: generator.next()) }
        for a in edges {
            for b in edges { values.append(UInt32(a) << 24 | UInt32(b) << 16 | UInt32(b) << 8 | UInt32(a)) }
        }
        let wrong = values.first { value in
            let address = IPv4Address(value)
            let text = address.description
            return text != address.bytes.map { String($0) }.joined(separator: ".") || IPv4Address(text) != address
        }
        #expect(wrong == nil, "\(wrong.map { "\(IPv4Address($0).description) for \($0)" } ?? "")")
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1..2.3", "1.2.3.4 ", "a.b.c.d", "1.2.3.-4", "1234.1.1.1",
    ])
    func rejects(text: String) {
        #expect(IPv4Address(text) == nil)
    }
}

@Suite struct IPv6Tests {
    @Test(arguments: [
        ("::", "::"), ("::1", "::1"), ("2001:db8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // RFC 5952 4.2.3: first of equal runs
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // RFC 5952 4.2.2: no :: for one group
        ("::ffff:192.0.2.1", "::ffff:c000:201"), ("FE80::A", "fe80::a"), ("1::", "1::"),
    ])
    func parsesAndPrintsCanonically(text: String, canonical: String) {
        let parsed = IPv6Address(text)
        #expect(parsed?.description == canonical)
        #expect(parsed.flatMap { IPv6Address($0.description) } == parsed)
    }

    @Test(arguments: [
        "", ":", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::1", "::1%eth0", "1:2:3:4:5:6:7", ":1::",
        "1.2.3.4::", "::1.2.3",
    ])
    func rejects(text: String) {
        #expect(IPv6Address(text) == nil)
    }
}

@Suite struct PrefixAndRangeTests {
    @Test func prefixRange() throws {
        let p = try IPPrefix.parse("192.0.2.0/24").get()
        #expect(p.range.lower == IPAddress("192.0.2.0"))
        #expect(p.range.upper == IPAddress("192.0.2.255"))
        #expect(p.range.count == 256)
        let v6 = try IPPrefix.parse("2001:db8::/64").get()
        #expect(v6.range.count == UInt128(1) << 64)
        #expect(try IPPrefix.parse("0.0.0.0/0").get().range.count == UInt128(1) << 32)
        #expect(try IPPrefix.parse("::/0").get().range.count == .max)
    }

    @Test func hostBitsAreAnErrorWithASuggestion() {
        guard case .failure(let error) = IPPrefix.parse("192.0.2.1/24") else {
            Issue.record("accepted host bits")
            return
        }
        #expect(error.description == "\"192.0.2.1/24\" has host bits set; did you mean 192.0.2.0/24?")
    }

    @Test(arguments: ["192.0.2.0/33", "2001:db8::/129", "192.0.2.0/-1", "192.0.2.0/+8", "x/8", "192.0.2.0"])
    func badPrefixes(text: String) {
        #expect(IPPrefix(text) == nil)
    }

    @Test func ranges() throws {
        let r = try IPRange.parse("192.0.2.10 - 192.0.2.20").get()
        #expect(r.count == 11)
        #expect(r.contains(IPAddress("192.0.2.15")!))
        #expect(!r.contains(IPAddress("192.0.2.21")!))
        #expect(!r.contains(IPAddress("::1")!))
        #expect(try IPRange.parse("192.0.2.7").get().count == 1)
        #expect(
            IPRange.parse("192.0.2.20-192.0.2.10").failureText
                == "range \"192.0.2.20-192.0.2.10\" ends before it starts")
        #expect(
            IPRange.parse("192.0.2.1-2001:db8::1").failureText == "range \"192.0.2.1-2001:db8::1\" mixes IPv4 and IPv6")
    }

    @Test func overlaps() throws {
        let a = try IPRange.parse("192.0.2.0/25").get()
        let b = try IPRange.parse("192.0.2.100-192.0.2.200").get()
        let c = try IPRange.parse("192.0.2.128/25").get()
        #expect(a.overlaps(b) && b.overlaps(a))
        #expect(!a.overlaps(c))
        #expect(b.overlaps(c))
        #expect(!a.overlaps(try IPRange.parse("::/0").get()))
    }

    @Test func ordering() {
        let list = ["2001:db8::1", "192.0.2.2", "10.0.0.1", "::1"].compactMap { IPAddress($0) }.sorted()
        #expect(list.map(\.description) == ["10.0.0.1", "192.0.2.2", "::1", "2001:db8::1"])
    }
}

@Suite struct LabelSelectorTests {
    @Test func matching() {
        let labels = ["zone": "a", "role": "edge"]
        #expect(LabelSelector().matches(labels))
        #expect(LabelSelector(matchLabels: ["zone": "a"]).matches(labels))
        #expect(!LabelSelector(matchLabels: ["zone": "b"]).matches(labels))
        #expect(LabelSelector(matchExpressions: [.init(key: "zone", op: .in, values: ["a", "b"])]).matches(labels))
        #expect(!LabelSelector(matchExpressions: [.init(key: "zone", op: .notIn, values: ["a"])]).matches(labels))
        #expect(LabelSelector(matchExpressions: [.init(key: "gpu", op: .notIn, values: ["x"])]).matches(labels))
        #expect(LabelSelector(matchExpressions: [.init(key: "role", op: .exists)]).matches(labels))
        #expect(!LabelSelector(matchExpressions: [.init(key: "role", op: .doesNotExist)]).matches(labels))
        #expect(
            !LabelSelector(matchLabels: ["zone": "a"], matchExpressions: [.init(key: "gpu", op: .exists)]).matches(
                labels))
    }
}

extension Result where Failure == AddressParseError {
    var failureText: String? {
        if case .failure(let e) = self { return e.description }
        return nil
    }
}
