/// Exponential backoff with jitter (client-go's `wait.Backoff`): each delay is `base * factor^n`, capped at `maximum`,
/// then stretched by a random fraction in `[0, jitter)`. Pure: the random source is injected.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    public var factor: Double
    public var jitter: Double
    private var current: Duration?

    /// Creates a backoff policy.
    public init(
        initial: Duration = .milliseconds(200), maximum: Duration = .seconds(30), factor: Double = 2,
        jitter: Double = 0.2
    ) {
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
    }

    /// The next delay; `random` returns a value in `[0, 1)`.
    public mutating func next(random: () -> Double = { Double.random(in: 0..<1) }) -> Duration {
        let base = current.map { min(maximum, $0 * factor) } ?? initial
        current = base
        return base * (1 + jitter * random())
    }

    /// Starts again from `initial` (after a success).
    public mutating func reset() { current = nil }
}
