/// The namespace network the layer-2 and the BGP tests share: a `router` namespace with bridge `br0`
/// (198.51.100.1/24, 2001:db8::1/64) and a second bridge `br1` (203.0.113.1/24); node namespaces attached to br0 by
/// veths (`eth0`, 198.51.100.1N/24, 2001:db8::1N/64), and node 1 also to br1 by `eth1` (203.0.113.11/24).
public enum NamespaceNetwork {
    /// The commands that build it, in order. The router's ends of the veths are named `<vethPrefix>vN<suffix>` and
    /// `<vethPrefix>w1<suffix>`, so that parallel runs with different suffixes cannot clash.
    public static func commands(router r: String, nodes: [String], vethPrefix: String, suffix: String) -> [String] {
        var commands = ["ip netns add \(r)"] + nodes.map { "ip netns add \($0)" }
        commands.append(
            """
            ip -n \(r) link set lo up && ip -n \(r) link add br0 type bridge && ip -n \(r) link set br0 up \
            && ip -n \(r) link add br1 type bridge && ip -n \(r) link set br1 up \
            && ip -n \(r) addr add 198.51.100.1/24 dev br0 && ip -n \(r) addr add 2001:db8::1/64 dev br0 nodad \
            && ip -n \(r) addr add 203.0.113.1/24 dev br1
            """)
        for (offset, node) in nodes.enumerated() {
            let i = offset + 1
            let veth = "\(vethPrefix)v\(i)\(suffix)"
            commands.append(
                """
                ip link add \(veth) type veth peer name eth0 netns \(node) && ip link set \(veth) netns \(r) \
                && ip -n \(r) link set \(veth) master br0 up && ip -n \(node) link set lo up \
                && ip -n \(node) link set eth0 up && ip -n \(node) addr add 198.51.100.1\(i)/24 dev eth0 \
                && ip -n \(node) addr add 2001:db8::1\(i)/64 dev eth0 nodad
                """)
        }
        if let first = nodes.first {
            let second = "\(vethPrefix)w1\(suffix)"
            commands.append(
                """
                ip link add \(second) type veth peer name eth1 netns \(first) && ip link set \(second) netns \(r) \
                && ip -n \(r) link set \(second) master br1 up && ip -n \(first) link set eth1 up \
                && ip -n \(first) addr add 203.0.113.11/24 dev eth1
                """)
        }
        return commands
    }
}
