import HeraldConfigModel

extension HeraldConfiguration {
    /// The static VIPs of herald.yaml as service addresses: one entry per service a VIP names, from the pool that
    /// holds it (validation guarantees there is one), limited to the VIP's advertisements.
    package var staticAddresses: [ServiceAddress] {
        staticVIPs.flatMap { vip -> [ServiceAddress] in
            guard let pool = pool(containing: vip.address) else { return [] }
            return vip.services.map {
                ServiceAddress(
                    service: $0, addresses: [vip.address], pool: pool.name, advertisements: vip.advertisements)
            }
        }
    }
}
