/// A token bucket (burst, refill rate), pure: the caller passes monotonic time in.
public struct TokenBucket: Sendable {
    public let burst: Double
    public let refillPerSecond: Double
    private var tokens: Double
    private var last: Duration?

    /// Creates a full bucket.
    public init(burst: Int, refillPerSecond: Double) {
        self.burst = Double(burst)
        self.refillPerSecond = refillPerSecond
        self.tokens = Double(burst)
    }

    /// Takes one token at `now` if one is available.
    public mutating func tryTake(now: Duration) -> Bool {
        if let last {
            let elapsed = Double((now - last).components.seconds) + Double((now - last).components.attoseconds) / 1e18
            tokens = min(burst, tokens + max(0, elapsed) * refillPerSecond)
        }
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
