import Testing

@testable import HeraldRuntime

/// The allocator's count of status writes a second, which decides how long Events wait behind a burst.
@Suite struct WriteRateTests {
    @Test func countsTheCurrentAndThePreviousSecondAndForgetsOlderOnes() {
        let start = ContinuousClock.now
        var rate = ServiceController.WriteRate()
        #expect(rate.perSecond(at: start) == 0)
        for i in 0..<30 { rate.add(at: start + .milliseconds(i * 10)) }
        #expect(rate.perSecond(at: start + .milliseconds(500)) == 30)
        // The next second: the previous one's 30 still count, and 5 new ones do not lower it.
        for i in 0..<5 { rate.add(at: start + .milliseconds(1_100 + i)) }
        #expect(rate.perSecond(at: start + .milliseconds(1_200)) == 30)
        // The second after: only the 5 of the second before.
        #expect(rate.perSecond(at: start + .milliseconds(2_100)) == 5)
        // Two quiet seconds: nothing.
        #expect(rate.perSecond(at: start + .milliseconds(4_500)) == 0)
        rate.add(at: start + .milliseconds(4_600))
        #expect(rate.perSecond(at: start + .milliseconds(4_700)) == 1)
    }

    @Test func anEventWaitsForBusyWritersAtMostTwoSecondsOutsideABurst() {
        let decided = ContinuousClock.now
        let hold = { (after: Int, busy: Bool) in
            ServiceController.holdsEvent(
                decided: decided, now: decided + .milliseconds(after), busy: busy, writesPerSecond: 5)
        }
        #expect(!hold(0, false))
        #expect(hold(0, true))
        #expect(hold(1_999, true))
        #expect(!hold(2_000, true))
    }

    @Test func duringABurstAnEventWaitsThroughPausesUntilTheBurstEndsOrThirtySeconds() {
        let decided = ContinuousClock.now
        let hold = { (after: Int, busy: Bool, rate: Int) in
            ServiceController.holdsEvent(
                decided: decided, now: decided + .milliseconds(after), busy: busy, writesPerSecond: rate)
        }
        // Idle writers between two Services of a burst: the Event still waits.
        #expect(hold(0, false, 300))
        #expect(hold(10_000, false, ServiceController.burstRate))
        #expect(hold(29_999, true, 300))
        #expect(!hold(30_000, true, 300))
        // The burst over (fewer than 20 writes in each of the last two seconds) and the writers idle: it goes.
        #expect(!hold(10_000, false, ServiceController.burstRate - 1))
    }
}
