import HeraldCore
import HeraldIPAM
import HeraldKube
import HeraldPlanner

/// How the allocator role reads a Kubernetes Service. Pure.
public enum ServiceTranslation {
    /// What Herald makes of one Service.
    public enum Verdict: Sendable, Hashable {
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
    public static func verdict(
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
    public static func isServed(_ service: Service, loadBalancerClass: String?) -> Bool {
        guard let spec = service.spec, spec.type == "LoadBalancer" else { return false }
        let own = spec.loadBalancerClass ?? ""
        return own.isEmpty ? loadBalancerClass == nil : own == loadBalancerClass
    }

    /// The addresses a Service's status shows (`status.loadBalancer.ingress[].ip`), in order; nil when one of them
    /// is not an address (a status Herald did not write).
    public static func statusAddresses(of service: Service) -> [IPAddress]? {
        var addresses: [IPAddress] = []
        for ingress in service.status?.loadBalancer?.ingress ?? [] {
            guard let text = ingress.ip else { continue }
            guard let address = IPAddress(text) else { return nil }
            addresses.append(address)
        }
        return addresses
    }

    /// `externalTrafficPolicy: Local` → only nodes with a ready endpoint of the Service; otherwise every node.
    public static func trafficPolicy(_ service: Service?, slices: [EndpointSlice]) -> TrafficPolicy {
        guard let service, service.spec?.externalTrafficPolicy == "Local" else { return .cluster }
        let name = service.metadata.name
        return readyNodes(
            in: slices.filter {
                $0.metadata.namespace == service.metadata.namespace
                    && $0.metadata.labels?[EndpointSlice.serviceNameLabel] == name
            })
    }

    /// The nodes with a ready endpoint in these slices (all of one Service), as a `Local` traffic policy.
    public static func readyNodes(in slices: [EndpointSlice]) -> TrafficPolicy {
        .local(
            readyNodes: Set(
                slices.flatMap { $0.endpoints ?? [] }.filter { $0.conditions?.ready ?? true }.compactMap(\.nodeName)))
    }

    /// The pool annotation Herald writes (`herald.dev/ip-allocated-from-pool`), as the Service shows it.
    public static func allocatedPool(of service: Service) -> String? {
        service.metadata.annotations?[RequestedAllocation.allocatedFromPoolAnnotations[0]]
    }
}

extension ServiceID {
    /// The id of a Service object.
    public init(_ service: Service) {
        self.init(namespace: service.metadata.namespace ?? "default", name: service.metadata.name ?? "")
    }
}
