import HeraldCore
import HeraldIPAM
import HeraldKubeModels
import HeraldPlanner

/// How the allocator role reads a Kubernetes Service. Pure.
package enum ServiceTranslation {
    /// What Herald makes of one Service.
    package enum Verdict: Sendable, Hashable {
        /// Not Herald's: not `type: LoadBalancer`, or of another load-balancer class.
        case notServed
        /// Herald's, asking for this.
        case request(ServiceRequest)
        /// Herald's, but unreadable (a malformed annotation, an unknown family policy…): it gets nothing, with this
        /// message on its Event.
        case invalid(String)
    }

    /// Reads `service`, with the labels of its namespace, for a host that serves `loadBalancerClass` (nil: only
    /// Services without a class, MetalLB's rule).
    package static func verdict(
        for service: Service, namespaceLabels: [String: String], loadBalancerClass: String?
    ) -> Verdict {
        guard isServed(service, loadBalancerClass: loadBalancerClass), let spec = service.spec else {
            return .notServed
        }
        let id = ServiceID(service)

        var policy = IPFamilyPolicy.singleStack
        if let text = spec.ipFamilyPolicy, !text.isEmpty {
            guard let parsed = IPFamilyPolicy(rawValue: text) else {
                return .invalid(
                    "spec.ipFamilyPolicy \"\(text)\" is not SingleStack, PreferDualStack or RequireDualStack")
            }
            policy = parsed
        }
        var families: [IPFamily] = []
        for text in spec.ipFamilies ?? [] {
            guard let family = IPFamily(rawValue: text) else {
                return .invalid("spec.ipFamilies: \"\(text)\" is not IPv4 or IPv6")
            }
            if !families.contains(family) { families.append(family) }
        }
        if families.isEmpty {
            let clusterIPs = (spec.clusterIPs ?? spec.clusterIP.map { [$0] } ?? []).compactMap { IPAddress($0) }
            families = ServiceRequest.families(ofClusterIPs: clusterIPs)
        }
        if families.isEmpty { families = [.ipv4] }
        // Shared, not one array per Service: the allocator keeps every request.
        families = Self.familyLists.first { $0 == families } ?? families

        var ports: [ServicePort] = []
        for port in spec.ports ?? [] {
            let name = (port.protocol ?? "TCP").uppercased()
            guard let transport = TransportProtocol(rawValue: name) else {
                return .invalid("spec.ports: protocol \"\(port.protocol ?? "")\" is not TCP, UDP or SCTP")
            }
            ports.append(ServicePort(transport, port.port))
        }
        let backend: ServiceBackend =
            spec.externalTrafficPolicy == "Local" ? .local(selector: spec.selector ?? [:]) : .cluster

        var request = ServiceRequest(
            id: id, labels: service.metadata.labels ?? [:], namespaceLabels: namespaceLabels, ipFamilyPolicy: policy,
            families: families, ports: ports, backend: backend)
        switch RequestedAllocation.parse(
            annotations: service.metadata.annotations ?? [:], loadBalancerIP: spec.loadBalancerIP)
        {
        case .success(let requested): request.apply(requested)
        case .failure(let error): return .invalid(error.description)
        }
        return .request(request)
    }

    /// Whether Herald serves `service`: `type: LoadBalancer`, with `loadBalancerClass` (or no class when nil).
    package static func isServed(_ service: Service, loadBalancerClass: String?) -> Bool {
        guard let spec = service.spec, spec.type == "LoadBalancer" else { return false }
        let own = spec.loadBalancerClass ?? ""
        return own.isEmpty ? loadBalancerClass == nil : own == loadBalancerClass
    }

    /// The addresses a Service's status shows (`status.loadBalancer.ingress[].ip`), in order; nil when one of them
    /// is not an address (a status Herald did not write).
    package static func statusAddresses(of service: Service) -> [IPAddress]? {
        var addresses: [IPAddress] = []
        for ingress in service.status?.loadBalancer?.ingress ?? [] {
            guard let text = ingress.ip else { continue }
            guard let address = IPAddress(text) else { return nil }
            addresses.append(address)
        }
        return addresses
    }

    /// `externalTrafficPolicy: Local` → only nodes with a ready endpoint of the Service; otherwise every node.
    package static func trafficPolicy(_ service: Service?, slices: [EndpointSlice]) -> TrafficPolicy {
        guard let service, service.spec?.externalTrafficPolicy == "Local" else { return .cluster }
        let name = service.metadata.name
        return readyNodes(
            in: slices.filter {
                $0.metadata.namespace == service.metadata.namespace
                    && $0.metadata.labels?[EndpointSlice.serviceNameLabel] == name
            })
    }

    /// The nodes with a ready endpoint in these slices (all of one Service), as a `Local` traffic policy.
    package static func readyNodes(in slices: [EndpointSlice]) -> TrafficPolicy {
        .local(
            readyNodes: Set(
                slices.flatMap { $0.endpoints ?? [] }.filter { $0.conditions?.ready ?? true }.compactMap(\.nodeName)))
    }

    /// What Herald's Service cache keeps of a Service: the fields ``verdict(for:namespaceLabels:loadBalancerClass:)``,
    /// the status and the Events read, and nothing else. Annotations outside Herald's and MetalLB's prefixes go (a
    /// `kubectl apply`'d Service carries its whole last-applied configuration in one); the names of the annotations
    /// Herald reads, and the usual `spec.ipFamilies`, are shared rather than copied per Service; the cluster IPs are
    /// kept only when `spec.ipFamilies` is unset (they then give the families). At 10,000 Services this is megabytes.
    ///
    /// Bounded whatever a tenant writes (Kubernetes allows 256 KiB of annotations per object): only the annotations
    /// Herald reads are kept, a sharing key longer than ``longestKeptKey`` bytes is kept as its SHA-256 digest (keys
    /// are only ever compared, and never printed), and any other value longer than ``longestKeptValue`` bytes is cut
    /// to a text that fails to parse and says so.
    @Sendable package static func cached(_ service: Service) -> Service {
        var meta = ObjectMeta(name: service.metadata.name, namespace: service.metadata.namespace)
        meta.uid = service.metadata.uid
        meta.resourceVersion = service.metadata.resourceVersion
        meta.creationTimestamp = service.metadata.creationTimestamp
        meta.labels = service.metadata.labels
        if let annotations = service.metadata.annotations {
            var kept: [String: String] = [:]
            for (key, value) in annotations {
                guard let index = knownAnnotations.firstIndex(of: key) else { continue }
                kept[knownAnnotations[index]] = bounded(
                    value, sharingKey: key.hasSuffix(RequestedAllocation.sharingSuffix))
            }
            meta.annotations = kept.isEmpty ? nil : kept
        }
        var result = Service(metadata: meta, status: service.status)
        if let spec = service.spec {
            var kept = Service.Spec(
                type: spec.type, ports: spec.ports?.map { Service.Port(protocol: $0.protocol, port: $0.port) },
                selector: spec.selector)
            kept.externalTrafficPolicy = spec.externalTrafficPolicy
            kept.loadBalancerIP = spec.loadBalancerIP
            kept.loadBalancerClass = spec.loadBalancerClass
            kept.ipFamilyPolicy = spec.ipFamilyPolicy
            if let families = spec.ipFamilies, !families.isEmpty {
                kept.ipFamilies = usualFamilies.first { $0 == families } ?? families
            } else {
                kept.clusterIP = spec.clusterIP
                kept.clusterIPs = spec.clusterIPs
            }
            result.spec = kept
        }
        return result
    }

    /// Sharing keys up to this many bytes are kept as they are; longer ones as `"\0sha256:"` and the digest's 64 hex
    /// digits (72 bytes: never equal to a key kept as it is).
    static let longestKeptKey = 64
    /// The longest address list or pool name kept (far more than any valid one).
    static let longestKeptValue = 1024

    static func bounded(_ value: String, sharingKey: Bool) -> String {
        let count = value.utf8.count
        if sharingKey {
            guard count > longestKeptKey else { return value }
            return "\0sha256:" + SHA256.hash(Array(value.utf8)).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        }
        guard count > longestKeptValue else { return value }
        return String(decoding: value.utf8.prefix(32), as: UTF8.self) + "… (cut: \(count) bytes)"
    }

    /// The annotations Herald reads or writes, under each prefix.
    static let knownAnnotations: Set<String> = Set(
        RequestedAllocation.prefixes.flatMap { prefix in
            [RequestedAllocation.addressesSuffix, RequestedAllocation.poolSuffix, RequestedAllocation.sharingSuffix]
                .map { prefix + $0 }
        } + RequestedAllocation.allocatedFromPoolAnnotations)
    static let familyLists: [[IPFamily]] = [[.ipv4], [.ipv6], [.ipv4, .ipv6], [.ipv6, .ipv4]]
    static let usualFamilies = familyLists.map { $0.map(\.rawValue) }

    /// The pool a Service's annotations say its addresses come from: Herald's (`herald.dev/ip-allocated-from-pool`),
    /// else MetalLB's (`metallb.io/ip-allocated-from-pool`).
    package static func allocatedPool(of service: Service) -> String? {
        let shown = PoolAnnotations(of: service)
        return shown.herald ?? shown.metallb
    }
}

/// The pool annotations a Service shows: Herald's `herald.dev/ip-allocated-from-pool` and MetalLB's
/// `metallb.io/ip-allocated-from-pool`.
///
/// Herald writes its own, and MetalLB's too in MetalLB mode (the name MetalLB users' tools read) or wherever the
/// Service already shows it (so it never names a stale pool). A Service whose annotations already say the right pool
/// is not written: one that MetalLB assigned, with only MetalLB's annotation, keeps its resourceVersion when Herald
/// takes over.
package struct PoolAnnotations: Sendable, Hashable {
    package var herald: String?
    package var metallb: String?

    package static let heraldKey = RequestedAllocation.allocatedFromPoolAnnotations[0]
    package static let metallbKey = RequestedAllocation.allocatedFromPoolAnnotations[1]

    package init(herald: String? = nil, metallb: String? = nil) {
        self.herald = herald
        self.metallb = metallb
    }

    package init(of service: Service) {
        let annotations = service.metadata.annotations ?? [:]
        self.init(herald: annotations[Self.heraldKey], metallb: annotations[Self.metallbKey])
    }

    /// Whether these annotations say `pool` (nil: no pool): each one shown names it, at least one is shown for a pool,
    /// and MetalLB's is in MetalLB mode.
    package func say(_ pool: String?, metallbMode: Bool) -> Bool {
        guard herald == nil || herald == pool, metallb == nil || metallb == pool else { return false }
        guard let pool else { return true }
        return metallbMode ? metallb == pool : (herald ?? metallb) == pool
    }

    /// What a Service shows after a write of `pool` over these annotations.
    package func written(_ pool: String?, metallbMode: Bool) -> PoolAnnotations {
        PoolAnnotations(herald: pool, metallb: metallbMode || metallb != nil ? pool : nil)
    }
}

extension ServiceID {
    /// The id of a Service object.
    package init(_ service: Service) {
        self.init(namespace: service.metadata.namespace ?? "default", name: service.metadata.name ?? "")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
