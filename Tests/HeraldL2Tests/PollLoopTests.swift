import Glibc
import Testing

@testable import PluginKit

/// The I/O threads' wait (PluginKit's `PollLoop`), which the layer-2 and BGP plugins share.
struct PollLoopTests {
    @Test func timeoutRoundsUpToWholeMillisecondsAndIsCapped() {
        #expect(PollLoop.timeout(until: nil, now: 5) == PollLoop.maximumWaitMs)
        #expect(PollLoop.timeout(until: 5, now: 5) == 0)
        #expect(PollLoop.timeout(until: 4, now: 5) == 0)
        #expect(PollLoop.timeout(until: 6, now: 5) == 1)
        #expect(PollLoop.timeout(until: 5 + 2_000_000, now: 5) == 2)
        #expect(PollLoop.timeout(until: 5 + 2_000_001, now: 5) == 3)
        #expect(PollLoop.timeout(until: .max, now: 0) == PollLoop.maximumWaitMs)
    }

    @Test func aWakeUpEndsTheWaitAndIsConsumed() throws {
        let loop = try PollLoop()
        loop.wake()
        loop.wake()
        var fds: [pollfd] = []
        let start = MonotonicClock.now()
        #expect(loop.wait(&fds, until: start + 5_000_000_000))
        #expect(MonotonicClock.now() - start < 2_000_000_000)
        // Both wake-ups were drained: the next wait runs to its deadline.
        #expect(!loop.wait(&fds, until: MonotonicClock.now() + 20_000_000))
    }

    @Test func aPassedDeadlineReturnsAtOnceWithNothingReady() throws {
        let loop = try PollLoop()
        var fds = [pollfd(fd: -1, events: Int16(POLLIN), revents: 0)]
        let start = MonotonicClock.now()
        #expect(!loop.wait(&fds, until: start))
        #expect(MonotonicClock.now() - start < 1_000_000_000)
    }

    @Test func readyDescriptorsReportTheirEventsInOrder() throws {
        let loop = try PollLoop()
        var idle: [Int32] = [-1, -1]
        var busy: [Int32] = [-1, -1]
        #expect(pipe(&idle) == 0 && pipe(&busy) == 0)
        defer { (idle + busy).forEach { _ = close($0) } }
        var one: UInt8 = 1
        #expect(write(busy[1], &one, 1) == 1)
        var fds = [
            pollfd(fd: idle[0], events: Int16(POLLIN), revents: 0),
            pollfd(fd: -1, events: Int16(POLLIN), revents: 0),
            pollfd(fd: busy[0], events: Int16(POLLIN), revents: 0),
        ]
        #expect(loop.wait(&fds, until: MonotonicClock.now() + 5_000_000_000))
        #expect(fds.map(\.revents) == [0, 0, Int16(POLLIN)])
    }
}
