import HeraldCore

/// What a Service asks of the allocator through its annotations and `spec.loadBalancerIP`.
///
/// Each annotation exists under three prefixes. Precedence, highest first: `herald.dev/`, `metallb.io/`, then the
/// deprecated `metallb.universe.tf/`; a lower one is ignored when a higher one is set, so that an old annotation left
/// over from a migration never overrides a new one. `spec.loadBalancerIP` (deprecated by Kubernetes) is read as a
/// one-address request; when it and a `loadBalancerIPs` annotation are both set they must name the same addresses,
/// otherwise the request is an error.
public struct RequestedAllocation: Hashable, Sendable {
    public var addresses: [IPAddress]
    public var pool: String?
    public var sharingKey: String?

    public init(addresses: [IPAddress] = [], pool: String? = nil, sharingKey: String? = nil) {
        self.addresses = addresses
        self.pool = pool
        self.sharingKey = sharingKey
    }

    /// Annotation prefixes, highest precedence first.
    public static let prefixes = ["herald.dev/", "metallb.io/", "metallb.universe.tf/"]
    /// Comma-separated addresses to assign.
    public static let addressesSuffix = "loadBalancerIPs"
    /// The name of the pool to assign from.
    public static let poolSuffix = "address-pool"
    /// The key that lets services share an address.
    public static let sharingSuffix = "allow-shared-ip"
    /// Annotations the caller writes with the name of the pool an address came from (Herald's and MetalLB's).
    public static let allocatedFromPoolAnnotations = [
        "herald.dev/ip-allocated-from-pool", "metallb.io/ip-allocated-from-pool",
    ]

    /// Reads a Service's annotations and `spec.loadBalancerIP` (nil or empty when unset).
    public static func parse(
        annotations: [String: String],
        loadBalancerIP: String?
    ) -> Result<RequestedAllocation, RequestError> {
        var result = RequestedAllocation()
        result.pool = value(annotations, poolKeys).map(\.text)
        result.sharingKey = value(annotations, sharingKeys).map(\.text)
        if let (key, text) = value(annotations, addressesKeys) {
            var addresses: [IPAddress] = []
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                let trimmed = trimmed(part)
                guard let address = IPAddress(trimmed) else {
                    return .failure(RequestError(.unparsableAddress(annotation: key, text: String(part))))
                }
                guard !addresses.contains(address) else {
                    return .failure(RequestError(.repeatedAddress(annotation: key, address: address)))
                }
                addresses.append(address)
            }
            result.addresses = addresses
        }
        if let spec = loadBalancerIP.map(trimmed), !spec.isEmpty {
            guard let address = IPAddress(spec) else {
                return .failure(RequestError(.unparsableAddress(annotation: "spec.loadBalancerIP", text: spec)))
            }
            if result.addresses.isEmpty {
                result.addresses = [address]
            } else if result.addresses != [address] {
                return .failure(RequestError(.conflictingAddresses(annotation: result.addresses, spec: address)))
            }
        }
        return .success(result)
    }

    /// The pool a Service's `address-pool` annotation names (the highest-precedence one), if any.
    public static func pool(in annotations: [String: String]) -> String? { value(annotations, poolKeys)?.text }

    /// `text` without leading and trailing blanks.
    private static func trimmed(_ text: some StringProtocol) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// Each annotation's keys under every prefix, highest precedence first: made once, not per Service read (the
    /// speaker reads every Service's pool on every pass).
    private static let addressesKeys = prefixes.map { $0 + addressesSuffix }
    private static let poolKeys = prefixes.map { $0 + poolSuffix }
    private static let sharingKeys = prefixes.map { $0 + sharingSuffix }

    /// The highest-precedence non-empty annotation of `keys`, with its key.
    private static func value(_ annotations: [String: String], _ keys: [String]) -> (key: String, text: String)? {
        guard !annotations.isEmpty else { return nil }
        for key in keys {
            if let text = annotations[key], !text.isEmpty { return (key, text) }
        }
        return nil
    }
}

/// Why a Service's annotations or `spec.loadBalancerIP` could not be read.
public struct RequestError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, with the annotation (or field) it comes from.
    public enum Reason: Hashable, Sendable {
        case unparsableAddress(annotation: String, text: String)
        case repeatedAddress(annotation: String, address: IPAddress)
        case conflictingAddresses(annotation: [IPAddress], spec: IPAddress)
    }

    public let reason: Reason

    public init(_ reason: Reason) { self.reason = reason }

    public var description: String {
        switch reason {
        case .unparsableAddress(let key, let text):
            return "\(key): \"\(text)\" is not an IPv4 or IPv6 address"
        case .repeatedAddress(let key, let address):
            return "\(key) names \(address) twice"
        case .conflictingAddresses(let annotation, let spec):
            let list = annotation.map(\.description).joined(separator: ",")
            return "spec.loadBalancerIP (\(spec)) and the loadBalancerIPs annotation (\(list)) disagree; "
                + "remove spec.loadBalancerIP, which Kubernetes deprecates"
        }
    }
}
