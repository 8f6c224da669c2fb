import Foundation

/// Locates what the namespace tests run: the plugin shared objects and the ABI harness, built into the same
/// directory as this test bundle (`swift build --product herald-arp`, `--product herald-ndp`,
/// `--product herald-plugin-harness`, or a plain `swift build`; `scripts/l2-test` does both steps).
enum Products {
    static var buildDirectory: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // The test binary lives in the build directory itself, or a few levels inside a bundle there.
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: url.appendingPathComponent("Modules").path) {
            url = url.deletingLastPathComponent()
        }
        return url.path
    }

    /// The path of a built product, or an error telling how to build it.
    static func path(_ name: String) throws -> String {
        let path = buildDirectory + "/" + name
        guard FileManager.default.fileExists(atPath: path) else {
            throw ShellError(
                command: "locate \(name)",
                result: Shell.Result(
                    status: 1,
                    output: "\(path) is missing: run scripts/l2-test, or `swift build` before `swift test`"))
        }
        return path
    }

    static func arp() throws -> String { try path("libherald-arp.so") }
    static func ndp() throws -> String { try path("libherald-ndp.so") }
    static func harness() throws -> String { try path("herald-plugin-harness") }

    /// The package root (for scripts/l2-test-deps), from this file's location.
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Makes sure root and the peer tools are there: installs missing tools through scripts/l2-test-deps, and
    /// fails loudly when that is impossible.
    static func requireTools() throws {
        guard getuid() == 0 else {
            throw ShellError(
                command: "getuid", result: Shell.Result(status: 1, output: "the L2 namespace tests need root"))
        }
        let probe =
            "command -v arping && command -v ndisc6 && command -v ip && command -v ping && test -x /usr/bin/python3"
        if Shell.run(probe).status != 0 {
            try Shell.must("\(packageRoot)/scripts/l2-test-deps")
            try Shell.must(probe)
        }
    }
}
