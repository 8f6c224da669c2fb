/// Which interfaces an instance answers on, from its configuration.
///
/// With explicit `interfaces` patterns, every interface matching one of them (and no exclusion) is selected. Without,
/// the default picks broadcast-capable interfaces that are not loopback, not enslaved to a bridge or bond, and not one
/// of the usual virtual interfaces of container runtimes and CNIs.
package struct InterfaceSelection: Sendable {
    /// Names skipped by the automatic selection.
    package static let defaultExcluded = InterfacePatterns([
        "lo", "docker*", "br-*", "veth*", "cni*", "flannel*", "cali*", "cilium*", "lxc*", "vxlan*", "genev*",
        "kube-ipvs*", "kube-bridge", "nodelocaldns", "tun*", "tap*", "virbr*", "weave*", "tunl*", "wg*", "dummy*",
    ])

    package var include: InterfacePatterns?
    package var exclude: InterfacePatterns

    package init(include: [String]?, exclude: [String]) {
        self.include = include.map(InterfacePatterns.init)
        self.exclude = InterfacePatterns(exclude)
    }

    /// Whether the interface is one this instance is responsible for, whatever its link state.
    package func selects(_ interface: NetworkInterface) -> Bool {
        if exclude.matches(interface.name) { return false }
        if let include { return include.matches(interface.name) }
        return !interface.isLoopback && interface.canBroadcast && !interface.isEnslaved
            && !Self.defaultExcluded.matches(interface.name)
    }
}
