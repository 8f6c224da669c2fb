import HeraldBGP

/// Two state machines wired back to back with no sockets: a `.connect` from one completes at once when the other
/// listens, every message is encoded and delivered to the other side's framer one byte at a time, and a
/// `.disconnect` is seen by the other side as TCP failing. Time only moves when a test moves it.
struct FSMPair {
    var a: BGPFSM
    var b: BGPFSM
    var now: UInt64 = 1_000_000_000
    var framers = [BGPFramer(), BGPFramer()]
    var connected = false
    /// Every action either side produced, in order, tagged 0 (a) or 1 (b).
    var log: [(side: Int, action: BGPAction)] = []
    /// Drop what a side sends (a broken peer), by side.
    var mute = [false, false]
    /// Refuse connections (nobody listening).
    var refuse = false

    init(a: BGPSessionSettings, b: BGPSessionSettings) {
        self.a = BGPFSM(settings: a)
        self.b = BGPFSM(settings: b)
    }

    static func settings(
        asn: UInt32, peer: UInt32, id: UInt32, hold: UInt16 = 90, passive: Bool = false
    ) -> BGPSessionSettings {
        BGPSessionSettings(
            localASN: asn, peerASN: peer, routerID: id, holdTime: hold,
            families: [.ipv4Unicast, .ipv6Unicast], gracefulRestartTime: 120, passive: passive)
    }

    func fsm(_ side: Int) -> BGPFSM { side == 0 ? a : b }

    mutating func feed(_ side: Int, _ event: BGPEvent) {
        var queue: [(Int, BGPEvent)] = [(side, event)]
        while !queue.isEmpty {
            let (target, event) = queue.removeFirst()
            let actions = target == 0 ? a.handle(event, now: now) : b.handle(event, now: now)
            queue += perform(target, actions)
        }
    }

    /// Moves the clock and fires due timers on both sides.
    mutating func advance(seconds: Double) {
        now += UInt64(seconds * 1e9)
        // Both clocks move first, then what the timers asked for happens.
        let fromA = a.tick(now: now)
        let fromB = b.tick(now: now)
        var queue = perform(0, fromA)
        queue += perform(1, fromB)
        while !queue.isEmpty {
            let (target, event) = queue.removeFirst()
            let actions = target == 0 ? a.handle(event, now: now) : b.handle(event, now: now)
            queue += perform(target, actions)
        }
    }

    /// Runs actions, returning the events they cause.
    private mutating func perform(_ side: Int, _ actions: [BGPAction]) -> [(Int, BGPEvent)] {
        var events: [(Int, BGPEvent)] = []
        let other = 1 - side
        for action in actions {
            log.append((side, action))
            switch action {
            case .connect:
                let listener = fsm(other)
                if refuse || connected || !(listener.state == .active || listener.state == .connect) {
                    events.append((side, .tcpConnectionFails))
                } else {
                    connected = true
                    framers = [BGPFramer(), BGPFramer()]
                    events.append((side, .tcpCRAcked))
                    events.append((other, .tcpConnectionConfirmed))
                }
            case .disconnect:
                if connected {
                    connected = false
                    events.append((other, .tcpConnectionFails))
                }
            case .send(let message):
                guard connected, !mute[side] else { continue }
                let options = fsm(side).negotiated?.codec ?? BGPCodecOptions()
                for byte in message.encoded(options) {
                    framers[other].append([byte])
                    do {
                        while let frame = try framers[other].next() {
                            let peerOptions = fsm(other).negotiated?.codec ?? BGPCodecOptions()
                            do {
                                if let event = BGPEvent.received(try BGPMessage.decode(frame, peerOptions)) {
                                    events.append((other, event))
                                }
                            } catch {
                                events.append((other, BGPEvent.decodeFailed(error, messageType: frame.type)))
                            }
                        }
                    } catch {
                        events.append((other, .bgpHeaderErr(error)))
                    }
                }
            case .established, .sessionDown, .received:
                break
            }
        }
        return events
    }

    func sent(_ side: Int) -> [BGPMessage] {
        log.compactMap { entry in
            if entry.side == side, case .send(let message) = entry.action { return message }
            return nil
        }
    }
}
