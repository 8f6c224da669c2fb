import Foundation
import Synchronization
import Testing

@testable import HeraldKube

/// `withTimeLimit` and the system clock's timer: a bound that holds, a timer that fires, and a cancelled one that
/// never does and lets go of its handler.
@Suite struct TimeLimitTests {
    final class Flag: Sendable {
        let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    /// Sets `freed` when the handler a timer holds is freed.
    final class Witness: Sendable {
        let freed: Flag
        init(_ freed: Flag) { self.freed = freed }
        deinit { freed.set() }
    }

    // The limits here are wide: the timer runs on a dispatch queue, and the operation and the test's own task on the
    // concurrency pool, which the other suites of the test process may keep busy for many seconds.

    @Test func anAnswerInTimeIsReturned() async throws {
        let answer = try await withTimeLimit(.seconds(300), "quick") { 42 }
        #expect(answer == 42)
    }

    @Test func aStalledOperationEndsAtTheLimitWithATimeout() async throws {
        let started = ContinuousClock.now
        do {
            _ = try await withTimeLimit(.milliseconds(200), "stalled") {
                try await Task.sleep(for: .seconds(120))
                return 1
            }
            Issue.record("a stalled operation returned")
        } catch let error as KubeError {
            #expect(error.code == .timeout)
            #expect(error.message.contains("stalled"))
        }
        // Not the operation's 120 s.
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test func theSystemClocksTimerFires() async throws {
        let fired = Flag()
        let timer = SystemKubeClock().timer(after: .milliseconds(50)) { fired.set() }
        let deadline = ContinuousClock.now + .seconds(10)
        while !fired.isSet, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(fired.isSet)
        timer.cancel()
        timer.cancel()
    }

    @Test func aCancelledSystemTimerNeverFiresAndLetsGoOfItsHandler() async throws {
        let freed = Flag()
        let fired = Flag()
        do {
            let witness = Witness(freed)
            let timer = SystemKubeClock().timer(after: .seconds(60)) { [witness] in
                _ = witness
                fired.set()
            }
            timer.cancel()
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while !freed.isSet, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(freed.isSet, "a timer cancelled 60 s early still holds its handler after 5 s")
        #expect(!fired.isSet)
    }

    @Test func aDeadlineBeyondAnyClockIsAccepted() {
        let timer = SystemKubeClock().timer(after: .seconds(Int64.max)) { Issue.record("fired") }
        timer.cancel()
    }
}

/// What 40,000 cancelled time limits leave behind: a status write per Service, each bounded by the lease's remaining
/// seconds, must not keep its timer once the write is answered. In the timing group of the test command, away from
/// the suites that allocate much: it reads the process's resident set.
@Suite struct TimerMemoryTests {
    /// The process's resident set, from `/proc/self/statm`.
    static func resident() throws -> Int {
        let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        return try #require(pages) * 4096
    }

    @Test func cancelledSystemTimersLeaveNothingBehind() async throws {
        let clock = SystemKubeClock()
        let before = try Self.resident()
        for _ in 0..<40_000 {
            clock.timer(after: .seconds(60)) { Issue.record("a cancelled timer fired") }.cancel()
        }
        try await Task.sleep(for: .milliseconds(500))
        // A cancelled task sleep kept about 1.6 KiB until its wake time: 64 MiB here. A dispatch timer lets go when
        // it is cancelled (what remains is the allocator keeping freed memory).
        let grown = try Self.resident() - before
        #expect(grown < 24 << 20, "40,000 cancelled timers grew the process by \(grown >> 10) KiB")
    }
}
