import Foundation
import HeraldKube
import HeraldTestSupport
import Logging

// herald-elector-harness KUBECONFIG NAMESPACE LEASE IDENTITY [LEASE_MS]
//
// One leader-election candidate in a process of its own, so that a test can SIGKILL the leader. Prints "ready", then
// "leading T" or "following T" at every change of leadership, T being CLOCK_MONOTONIC in nanoseconds (comparable
// across the processes of one machine). "quit" on stdin, or its end, stops gracefully (releasing the lease) and
// prints "stopped".

func monotonic() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func say(_ line: String) { TestSupport.writeAll(line + "\n") }

let arguments = CommandLine.arguments
guard arguments.count >= 5 else {
    FileHandle.standardError.write(
        Data("usage: herald-elector-harness KUBECONFIG NAMESPACE LEASE IDENTITY [LEASE_MS]\n".utf8))
    exit(2)
}
let leaseMilliseconds = arguments.count > 5 ? Int64(arguments[5]) ?? 3000 : 3000
var logger = Logger(label: "herald.elector-harness")
logger.logLevel = .warning
do {
    let client = try KubeClient(configuration: KubeConfigLoader.load(paths: [arguments[1]]), logger: logger)
    let elector = LeaderElector(
        client: client,
        configuration: .init(
            leaseName: arguments[3], namespace: arguments[2], identity: arguments[4],
            leaseDuration: .milliseconds(leaseMilliseconds), renewDeadline: .milliseconds(leaseMilliseconds * 2 / 3),
            retryPeriod: .milliseconds(max(leaseMilliseconds / 12, 50))),
        logger: logger)
    let changes = elector.leadership()
    let reporter = Task.detached {
        for await leading in changes { say("\(leading ? "leading" : "following") \(monotonic())") }
    }
    let campaign = Task.detached { await elector.run() }
    say("ready")
    // Blocks this thread until "quit" or the end of stdin; the elector runs on the cooperative pool.
    while let line = readLine(), line != "quit" {}
    campaign.cancel()
    await campaign.value
    reporter.cancel()
    try await client.shutdown()
    say("stopped")
} catch {
    say("error \(error)")
    exit(1)
}
