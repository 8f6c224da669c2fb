import HeraldConfig
import HeraldConfigModel
import HeraldCore
import Testing

/// `isolation: process` and its limits in a plugins.d file: the values read, the capabilities a runner keeps by
/// default (a bundled plugin's own, none for any other library), and what changes the instance.
struct PluginIsolationSpecTests {
    func spec(_ text: String) throws -> PluginInstanceSpec {
        try PluginInstanceSpec.parse(text, file: "p.yaml").get()
    }

    @Test func processIsolationWithLimitsAndCapabilities() throws {
        let s = try spec(
            """
            name: mine
            library: /opt/plugins/libmine.so
            isolation: process
            memoryLimitMiB: 256
            fileLimit: 128
            capabilities: [NET_RAW, cap_net_admin]
            """)
        #expect(s.isolation == .process && s.memoryLimitMiB == 256 && s.fileLimit == 128)
        #expect(s.runnerCapabilities.names == ["NET_ADMIN", "NET_RAW"])
        #expect(s.runnerCapabilities.mask == 1 << 12 | 1 << 13)
    }

    @Test func capabilitiesDefaultToTheBundledPluginsOwnAndNoneForOthers() throws {
        let defaults = [
            ("herald-arp", ["NET_RAW"]), ("/usr/lib/herald/plugins/libherald-ndp.so", ["NET_RAW"]),
            ("herald-bgp", ["NET_BIND_SERVICE", "NET_RAW", "SYS_NICE"]), ("herald-exec", ["NET_ADMIN"]),
            ("herald-log", []), ("/opt/plugins/libmine.so", []), ("mine", []),
        ]
        for (library, names) in defaults {
            let s = try spec("name: a\nlibrary: \(library)\nisolation: process\n")
            #expect(s.runnerCapabilities.names == names, "\(library)")
        }
        // An empty list keeps none, even for a bundled plugin.
        #expect(
            try spec("name: a\nlibrary: herald-arp\nisolation: process\ncapabilities: []\n").runnerCapabilities.mask
                == 0)
    }

    @Test func aChangedLimitOrCapabilityIsAnotherInstance() throws {
        let base = "name: a\nlibrary: herald-log\nisolation: process\n"
        let a = try spec(base)
        #expect(a == (try spec(base)))
        #expect(a != (try spec(base + "memoryLimitMiB: 128\n")))
        #expect(a != (try spec(base + "fileLimit: 64\n")))
        #expect(a != (try spec(base + "capabilities: [NET_RAW]\n")))
        #expect(a != (try spec("name: a\nlibrary: herald-log\n")))
    }
}
