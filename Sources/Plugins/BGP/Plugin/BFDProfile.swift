import HeraldBGP
import PluginKit

/// One entry of `config.bfdProfiles`: the timers of the BFD sessions (RFC 5880, 5881, 5883) of the peers that name
/// it in `bfdProfile`. The keys are MetalLB's `BFDProfile` fields:
///
/// ```yaml
/// bfdProfiles:
///   - name: fast
///     receiveInterval: 300     # ms, 10...60000: the slowest rate at which this side wants packets (default 300)
///     transmitInterval: 300    # ms, 10...60000: the rate at which this side wants to send (default 300)
///     detectMultiplier: 3      # 2...255: packets missed before the session goes down (default 3)
///     passiveMode: false       # send nothing until the peer has been heard
///     minimumTtl: 254          # multihop sessions: the lowest TTL accepted (1...255, default 254); single-hop
///                              # sessions accept only 255 (RFC 5881 section 5)
/// ```
///
/// With the defaults, a path that stops forwarding is found in 0.9 s.
struct BFDProfile: Decodable, Sendable, Equatable {
    var name: String
    /// Milliseconds.
    var receiveInterval: Int
    var transmitInterval: Int
    var detectMultiplier: Int
    var passiveMode: Bool
    var minimumTtl: Int

    static let intervalRange = 10...60_000
    static let multiplierRange = 2...255

    init(
        name: String, receiveInterval: Int = 300, transmitInterval: Int = 300, detectMultiplier: Int = 3,
        passiveMode: Bool = false, minimumTtl: Int = 254
    ) {
        self.name = name
        self.receiveInterval = receiveInterval
        self.transmitInterval = transmitInterval
        self.detectMultiplier = detectMultiplier
        self.passiveMode = passiveMode
        self.minimumTtl = minimumTtl
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys([
            "name", "receiveInterval", "transmitInterval", "detectMultiplier", "passiveMode", "minimumTtl",
            "echoMode", "echoInterval",
        ])
        let at = "config." + configPath(decoder.codingPath)
        let c = try decoder.container(keyedBy: AnyKey.self)
        func key(_ name: String) -> AnyKey { AnyKey(stringValue: name) }
        name = try c.decode(String.self, forKey: key("name"))
        guard !name.isEmpty else { throw PluginError(.config, "\(at).name: empty") }
        func number(_ field: String, _ fallback: Int, _ range: ClosedRange<Int>, _ unit: String) throws -> Int {
            let value = try c.decodeIfPresent(Int.self, forKey: key(field)) ?? fallback
            guard range.contains(value) else {
                throw PluginError(
                    .config,
                    "\(at).\(field): \(value) is not within \(range.lowerBound)...\(range.upperBound)\(unit)")
            }
            return value
        }
        receiveInterval = try number("receiveInterval", 300, Self.intervalRange, " milliseconds")
        transmitInterval = try number("transmitInterval", 300, Self.intervalRange, " milliseconds")
        detectMultiplier = try number("detectMultiplier", 3, Self.multiplierRange, "")
        minimumTtl = try number("minimumTtl", 254, 1...255, "")
        passiveMode = try c.decodeIfPresent(Bool.self, forKey: key("passiveMode")) ?? false
        // The Echo function needs the peer to loop packets back in its forwarding plane; Herald runs none.
        if try c.decodeIfPresent(Bool.self, forKey: key("echoMode")) == true {
            throw PluginError(.config, "\(at).echoMode: the BFD Echo function is not supported; remove it")
        }
    }

    /// The session settings, in microseconds as on the wire.
    var settings: BFDSettings {
        BFDSettings(
            desiredMinTxInterval: UInt32(transmitInterval) * 1000,
            requiredMinRxInterval: UInt32(receiveInterval) * 1000,
            detectMultiplier: UInt8(detectMultiplier), passive: passiveMode)
    }
}
