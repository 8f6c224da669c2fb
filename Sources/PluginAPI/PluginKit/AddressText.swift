// The plugins' address types, `IPv4Address` and `IPv6Address`: pure, in a module of their own (see `IPv4Address`).
@_exported import HeraldAddresses

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension IPv4Address {
    /// Parses dotted-quad text (`192.0.2.10`) as `inet_pton(AF_INET)` does; nil for anything else.
    public init?(_ text: String) {
        var bytes = [UInt8](repeating: 0, count: 4)
        guard inet_pton(AF_INET, text, &bytes) == 1 else { return nil }
        self.init(bytes)
    }
}

extension IPv6Address {
    /// Parses IPv6 text (`2001:db8::10`, `::ffff:192.0.2.1`) as `inet_pton(AF_INET6)` does; nil for anything else,
    /// an IPv4 address's text included.
    public init?(_ text: String) {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard inet_pton(AF_INET6, text, &bytes) == 1 else { return nil }
        self.init(bytes)
    }
}
