import Foundation
import HeraldTestSupport
import Testing

@testable import HeraldPluginHost

/// The README's Swift plugin, exactly as written there, built as a fresh package that depends on this checkout by
/// path, then loaded and driven by the host. One full build (a minute or so).
@Suite struct SwiftPluginPackageTests {
    /// The fenced blocks (language, text) of the README's "In Swift" section, in order.
    static func readmeSwiftBlocks() throws -> [(language: String, text: String)] {
        let readme = try String(
            contentsOf: TestSupport.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "**In Swift**"))
        let end = try #require(readme.range(of: "**In C**"))
        var blocks: [(String, String)] = []
        var current: (String, [Substring])?
        for line in readme[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                if let open = current {
                    blocks.append((open.0, open.1.joined(separator: "\n") + "\n"))
                    current = nil
                } else {
                    current = (String(line.dropFirst(3)), [])
                }
            } else if current != nil {
                current!.1.append(line)
            }
        }
        return blocks
    }

    @Test func theREADMEsSwiftPluginBuildsInAFreshPackageAndLoads() throws {
        let blocks = try Self.readmeSwiftBlocks()
        #expect(blocks.map(\.language) == ["swift", "text", "swift"])
        let manifest = blocks[0].text
        #expect(manifest.contains(#".package(path: "../herald")"#))
        #expect(manifest.contains(#".product(name: "PluginKit", package: "herald")"#))

        // <tmp>/herald is this checkout; <tmp>/hello the plugin package, laid out as the README says.
        let root = try TestSupport.temporaryDirectory("herald-swift-plugin")
        try FileManager.default.createSymbolicLink(
            atPath: "\(root)/herald", withDestinationPath: TestSupport.packageRoot.path)
        let package = "\(root)/hello"
        try FileManager.default.createDirectory(
            atPath: "\(package)/Sources/Hello", withIntermediateDirectories: true)
        try manifest.write(toFile: "\(package)/Package.swift", atomically: true, encoding: .utf8)
        try blocks[1].text.write(toFile: "\(package)/exports.map", atomically: true, encoding: .utf8)
        try blocks[2].text.write(toFile: "\(package)/Sources/Hello/Hello.swift", atomically: true, encoding: .utf8)

        let build = try TestSupport.run(
            ["/usr/bin/env", "swift", "build", "--package-path", package, "--product", "herald-hello"],
            timeout: 1200, combineOutput: true)
        #expect(build.status == 0, "\(build.stdout)")

        let path = "\(package)/.build/debug/libherald-hello.so"
        let nm = try TestSupport.run(["/usr/bin/nm", "-D", "--defined-only", path])
        #expect(nm.stdout.split(separator: "\n").filter { $0.hasSuffix(" T herald_plugin_entry_v1") }.count == 1)

        let library = try PluginLoader(searchPath: []).load(path: path)
        #expect(library.info.id == "com.example.hello")
        #expect(library.info.kind == .routed)
        let report = ConformanceSuite.run(library: library, configJSON: #"{"greeting": "hello"}"#)
        #expect(report.passed, "\(report.checks.filter { !$0.passed })")
    }
}
