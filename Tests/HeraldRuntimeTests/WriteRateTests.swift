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

}
