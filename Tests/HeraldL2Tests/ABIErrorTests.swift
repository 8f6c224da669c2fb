import Foundation
import Testing

extension NamespaceTests {
    @Test("configuration and announcement mistakes come back through the ABI as status codes with text")
    func abiErrors() throws {
        try Products.requireTools()
        // A misspelt key fails configure (HERALD_ERR_CONFIG) before anything starts.
        let bad = Shell.run("\(try Products.harness()) \(try Products.arp()) '{\"interfacs\":[\"eth0\"]}' </dev/null")
        #expect(bad.status == 2, "\(bad.output)")
        #expect(bad.output.contains("fatal configure: -2") && bad.output.contains("interfacs"), "\(bad.output)")

        try withTopology { t in
            let arp = try HarnessProcess(namespace: t.nodes[0], plugin: try Products.arp())
            defer { arp.stop() }
            arp.send("announce six 2001:db8::5/128")
            let family = arp.expect("error", timeout: 3)
            #expect(family?.hasPrefix("error -1") == true && family?.contains("IPv4") == true, "\(arp.transcript)")
            arp.send(#"announce attrs 198.51.100.5/32 {"interfaces":"eth0"}"#)
            let attributes = arp.expect("error", timeout: 3)
            #expect(attributes?.hasPrefix("error -1") == true, "\(arp.transcript)")
            try arp.command("withdraw never-announced")
            #expect(t.arping("198.51.100.5") == nil, "a rejected announcement is answered")
        }
    }
}
