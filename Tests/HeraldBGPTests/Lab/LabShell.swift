import Foundation
import HeraldTestSupport

/// Runs shell commands for the namespace tests.
enum LabShell {
    struct Failure: Error, CustomStringConvertible {
        var command: String
        var output: String
        var description: String { "`\(command)` failed: \(output)" }
    }

    /// Runs `/bin/sh -c command`: exit status and combined output.
    @discardableResult
    static func run(_ command: String, timeout: Double = 120) -> (status: Int32, output: String) {
        do {
            let out = try TestSupport.run(["/bin/sh", "-c", command], timeout: timeout, combineOutput: true)
            return (out.status, out.stdout)
        } catch {
            return (-1, "cannot run /bin/sh: \(error)")
        }
    }

    static func must(_ command: String) throws {
        let result = run(command)
        guard result.status == 0 else { throw Failure(command: command, output: result.output) }
    }

    /// Polls `condition` every `interval` seconds (100 ms) until it holds or `timeout` seconds pass; whether it held.
    static func wait(_ timeout: Double, interval: Double = 0.1, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if condition() { return true }
            usleep(useconds_t(interval * 1_000_000))
        } while Date() < deadline
        return condition()
    }

    /// The package root, from this file's location.
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Root, and BIRD, GoBGP and iproute2 installed (through scripts/bgp-test-deps, which fails loudly otherwise).
    static func requireTools() throws {
        guard getuid() == 0 else { throw Failure(command: "getuid", output: "the BGP namespace tests need root") }
        let probe =
            "command -v bird && command -v birdc && command -v gobgpd && command -v gobgp && command -v ip "
            + "&& command -v vtysh && test -x /usr/lib/frr/bfdd && test -x /usr/lib/frr/bgpd && test -x /usr/lib/frr/zebra"
        if run(probe).status != 0 {
            try must("\(packageRoot)/scripts/bgp-test-deps")
            try must(probe)
        }
    }

    /// A built product next to the test bundle (`swift build --product herald-bgp`, `herald-plugin-harness`).
    static func product(_ name: String) throws -> String {
        try TestSupport.product(name)
    }
}
