/// A transport protocol of a Service port.
public enum TransportProtocol: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case tcp = "TCP"
    case udp = "UDP"
    case sctp = "SCTP"

    public var description: String { rawValue }
}

/// One (protocol, port) a Service exposes. Two services sharing an address must not expose the same one.
public struct ServicePort: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var transport: TransportProtocol
    public var port: Int

    public init(_ transport: TransportProtocol, _ port: Int) {
        self.transport = transport
        self.port = port
    }

    public var description: String { "\(port)/\(transport)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.port, lhs.transport.rawValue) < (rhs.port, rhs.transport.rawValue)
    }
}

/// Where traffic for a Service goes, as far as address sharing cares: services that share an address must reach the
/// same backends, because a node announces the address for all of them at once.
public enum ServiceBackend: Hashable, Sendable, CustomStringConvertible {
    /// `externalTrafficPolicy: Cluster`: any node forwards, so the backends do not constrain sharing.
    case cluster
    /// `externalTrafficPolicy: Local` with the Service's pod selector: only services with an identical selector
    /// may share, since the announcing node must hold a ready endpoint of every one of them.
    case local(selector: [String: String])

    public var description: String {
        switch self {
        case .cluster:
            return "externalTrafficPolicy Cluster"
        case .local(let selector):
            let text = selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            return "externalTrafficPolicy Local with selector {\(text)}"
        }
    }
}
