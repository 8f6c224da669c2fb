import HeraldCore

extension ServiceAllocation {
    /// Whether the service of `request` may use the pool.
    public func matches(_ request: ServiceRequest) -> Bool {
        if !namespaces.isEmpty || !namespaceSelectors.isEmpty {
            let byName = namespaces.contains(request.id.namespace)
            guard byName || namespaceSelectors.contains(where: { $0.matches(request.namespaceLabels) }) else {
                return false
            }
        }
        return serviceSelectors.isEmpty || serviceSelectors.contains { $0.matches(request.labels) }
    }
}
