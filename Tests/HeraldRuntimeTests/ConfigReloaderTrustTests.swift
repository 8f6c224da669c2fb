import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldRuntime
import HeraldTestSupport
import Logging
import Testing

/// A reload reads herald.yaml under the same trust rule as the start: a file others may write is refused, and the
/// running configuration is kept.
@Suite struct ConfigReloaderTrustTests {
    @Test func aReloadOfAFileOthersMayWriteKeepsTheLastGoodConfiguration() async throws {
        let dir = try TestSupport.temporaryDirectory("herald-reload")
        let path = "\(dir)/herald.yaml"
        func write(_ pool: String) throws {
            try "apiVersion: herald.dev/v1\npools:\n  - name: \(pool)\n    addresses: [192.0.2.0/28]\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o644)
        }
        let applied = Locked([String]())
        let reloader = ConfigReloader(path: path, pluginsDirectory: nil, logger: Logger(label: "test")) { config, _ in
            applied.mutate { $0 += config.pools.map(\.name) }
        }
        try write("first")
        await reloader.reload()
        #expect(applied.get() == ["first"])

        try write("second")
        chmod(path, 0o666)
        await reloader.reload()
        #expect(applied.get() == ["first"])
        #expect(reloader.statistics.applied == 1)
        #expect(reloader.statistics.rejected == 1)

        chmod(path, 0o644)
        await reloader.reload()
        #expect(applied.get() == ["first", "second"])
    }
}
