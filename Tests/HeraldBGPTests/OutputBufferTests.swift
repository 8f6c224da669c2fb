import HeraldBGP
import Testing

/// The output buffer toward a peer is bounded: a peer that stops reading ends its session (Cease, Out of Resources)
/// instead of making the speaker buffer without end, and the session restarts after the backoff.
struct OutputBufferTests {
    @Test func aMessagePastTheLimitIsRefusedWholeAndMarksTheBuffer() {
        var buffer = BGPOutputBuffer(limit: 100)
        let keepalive = BGPMessage.keepalive.encoded()
        let queued = (0..<5).map { _ in buffer.append(keepalive) }  // 95 bytes
        #expect(queued == [true, true, true, true, true])
        #expect(buffer.pending == 95)
        #expect(!buffer.overflowed)
        let refused = !buffer.append(keepalive)  // 114 > 100: refused, nothing of it queued
        #expect(refused)
        #expect(buffer.overflowed)
        #expect(buffer.pending == 95)
        // The NOTIFICATION that ends the session is queued regardless.
        let cease = BGPMessage.notification(.cease(BGPNotification.CeaseSubcode.outOfResources)).encoded()
        let forced = buffer.append(cease, force: true)
        #expect(forced)
        #expect(buffer.pending == 95 + cease.count)
        #expect(Array(buffer.pendingBytes.suffix(cease.count)) == cease)
        buffer.clear()
        #expect(buffer.pending == 0)
        #expect(!buffer.overflowed)
    }

    @Test func drainingMakesRoomAndKeepsTheByteOrder() {
        var buffer = BGPOutputBuffer(limit: 40)
        let a = [UInt8](repeating: 1, count: 30)
        let b = [UInt8](repeating: 2, count: 20)
        let first = buffer.append(a)
        let second = buffer.append(b)
        #expect(first && !second)
        // A socket that takes 25 bytes now.
        var sent: [UInt8] = []
        let taken = buffer.drain { raw in
            sent += raw.prefix(25)
            return 25
        }
        #expect(taken == 25)
        #expect(buffer.pending == 5)
        let fits = buffer.append(b)
        #expect(fits)
        // A socket that would block (-1) takes nothing.
        let blocked = buffer.drain { _ in -1 }
        #expect(blocked == -1)
        #expect(buffer.pending == 25)
        _ = buffer.drain { raw in
            sent += raw
            return raw.count
        }
        #expect(sent == a + b)
        #expect(buffer.pending == 0)
    }

    @Test func theDefaultLimitIsAFewMebibytes() {
        #expect(BGPOutputBuffer().limit == 8 << 20)
    }

    @Test func anOverflowEndsTheSessionWithCeaseOutOfResourcesAndRestartsLater() {
        var fsm = FSMEventMatrixTests.machine(in: .established)
        let actions = fsm.outputOverflowed(now: 2_000, limit: 8 << 20)
        #expect(actions.first == .send(.notification(BGPNotification(code: 6, subcode: 8))))
        #expect(actions.contains(.disconnect))
        #expect(actions.contains { if case .sessionDown = $0 { true } else { false } })
        #expect(fsm.state == .idle)
        #expect(fsm.flaps == 1)
        // Not a manual stop: the automatic restart is scheduled.
        let restart = fsm.idleHoldDeadline
        #expect(restart != nil)
        #expect(fsm.tick(now: restart!) == [.connect])
        // Nothing to end in Idle.
        var idle = FSMEventMatrixTests.machine(in: .idle)
        #expect(idle.outputOverflowed(now: 2_000, limit: 1).isEmpty)
    }
}
