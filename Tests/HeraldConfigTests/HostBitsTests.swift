import HeraldConfig
import HeraldConfigModel
import HeraldCore
import Testing

/// A pool CIDR with host bits set (`192.168.10.100/24`) is read as its network, as MetalLB reads it; the file stays
/// valid and applied, and a warning names the network it is read as.
@Suite struct HostBitsTests {
    static func text(third: String = "10.0.0.0/30") -> String {
        """
        apiVersion: herald.dev/v1
        pools:
          - name: lan
            addresses: [192.168.10.100/24, "1000::1/127", \(third)]
          - name: other
            addresses: [10.0.1.0/24]
        staticVIPs:
          - name: web
            address: 192.168.10.5
        """
    }

    @Test func aCIDRWithHostBitsIsItsNetworkWithAWarning() throws {
        let config = try ConfigParser.parse(Self.text(), file: "herald.yaml").get()
        #expect(
            config.pools[0].ranges.map(\.description) == [
                "192.168.10.0-192.168.10.255", "1000::-1000::1", "10.0.0.0-10.0.0.3",
            ])
        #expect(config.pool(containing: IPAddress("192.168.10.5")!)?.name == "lan")
        #expect(config.staticVIPs.map(\.name) == ["web"])
        #expect(config.warnings.allSatisfy { $0.severity == .warning })
        #expect(
            config.warnings.map(\.description) == [
                "herald.yaml:4:17: warning: pools[0].addresses[0]: \"192.168.10.100/24\" has host bits set; "
                    + "it is read as 192.168.10.0/24 (write 192.168.10.0/24 if that is meant)",
                "herald.yaml:4:36: warning: pools[0].addresses[1]: \"1000::1/127\" has host bits set; "
                    + "it is read as 1000::/127 (write 1000::/127 if that is meant)",
            ])
    }

    @Test func theNetworkItIsReadAsIsWhatOverlapsOtherPools() {
        // 10.0.1.77/24 is 10.0.1.0/24, which pool "other" already holds: an error, not a warning.
        let lines = ConfigParser.parse(Self.text(third: "10.0.1.77/24"), file: "herald.yaml").failureLines
        #expect(lines.count == 1)
        #expect(lines.first?.contains("10.0.1.0-10.0.1.255 overlaps 10.0.1.0-10.0.1.255") == true)
    }

    @Test func theStrictPrefixParserStillRefusesHostBits() {
        guard case .success(let read) = IPPrefix.parseClearingHostBits("192.168.10.100/24") else {
            Issue.record("refused a CIDR with host bits")
            return
        }
        #expect(read.prefix.description == "192.168.10.0/24")
        #expect(read.hostBitsSet)
        #expect(IPPrefix("192.168.10.100/24") == nil)
        #expect(IPRange.parse("1000::1/127").map(\.description) == .success("1000::-1000::1"))
    }
}
