import Foundation
import HeraldTestSupport
import Testing

/// `herald conformance` passes on the BGP plugin, and the library exports only the ABI entry.
struct BGPConformanceTests {
    @Test func herald_conformance_passes() throws {
        // One peer on loopback, on a port nobody listens on: the session retries quietly while the suite runs.
        let config = #"{"myASN":64512,"routerID":"192.0.2.1","peers":[{"address":"127.0.0.1","asn":64513,"port":1}]}"#
        let out = try TestSupport.run(
            [
                try TestSupport.product("herald"), "conformance", try TestSupport.product("libherald-bgp.so"),
                "--config", config,
            ],
            timeout: 120, combineOutput: true)
        #expect(out.status == 0, "\(out.stdout)")
        #expect(!out.stdout.contains("FAIL"), "\(out.stdout)")
    }

    @Test func configErrorsNameTheKey() throws {
        let cases: [(String, String)] = [
            (#"{"routerID":"192.0.2.1"}"#, "config.myASN"),
            (#"{"myASN":0}"#, "config.myASN"),
            (#"{"myASN":1,"routerID":"2001:db8::1"}"#, "config.routerID"),
            (#"{"myASN":1,"routerID":"192.0.2.1","peers":[{"address":"x","asn":2}]}"#, "config.peers[0].address"),
            (
                #"{"myASN":1,"routerID":"192.0.2.1","peers":[{"address":"192.0.2.2","asn":2,"holdTime":2}]}"#,
                "config.peers[0].holdTime"
            ),
            (#"{"myASN":1,"routerID":"192.0.2.1","peers":[{"address":"192.0.2.2","asn":2,"bogus":1}]}"#, "bogus"),
            (
                #"{"myASN":1,"routerID":"192.0.2.1","peers":[{"address":"192.0.2.2","asn":2,"families":["ipx"]}]}"#,
                "config.peers[0].families"
            ),
            (
                #"{"myASN":1,"routerID":"192.0.2.1","peers":[{"address":"192.0.2.2","asn":2,"passwordFile":"/nonexistent/pw"}]}"#,
                "config.peers[0].passwordFile"
            ),
            (
                #"{"myASN":1,"routerID":"192.0.2.1","peers":[{"address":"192.0.2.2","asn":2,"sourceAddress":"2001:db8::1"}]}"#,
                "config.peers[0].sourceAddress"
            ),
            (
                #"{"myASN":1,"routerID":"192.0.2.1","peers":[{"address":"192.0.2.2","asn":2,"nodeSelectors":[{"matchExpressions":[{"key":"a","operator":"Is"}]}]}]}"#,
                "operator"
            ),
            (#"{"myASN":1}"#, "config.routerID"),
        ]
        for (config, key) in cases {
            let out = try TestSupport.run(
                [
                    try TestSupport.product("herald-plugin-harness"), try TestSupport.product("libherald-bgp.so"),
                    config,
                ],
                timeout: 20, combineOutput: true)
            #expect(out.status == 2, "\(config): \(out.stdout)")
            #expect(out.stdout.contains("fatal configure") && out.stdout.contains(key), "\(config): \(out.stdout)")
        }
    }

    @Test func exportsOnlyTheEntrySymbol() throws {
        let nm = try TestSupport.run([
            "/usr/bin/nm", "-D", "--defined-only", try TestSupport.product("libherald-bgp.so"),
        ])
        let symbols = nm.stdout.split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) ?? "" }
        #expect(symbols == ["herald_plugin_entry_v1"])
    }
}
