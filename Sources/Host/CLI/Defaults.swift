import Foundation
import HeraldPluginHost

/// What Herald runs on when no file is given and none is installed: a demo that needs no cluster and touches no
/// network. A manifest directory of a few Services (IPv4, IPv6, dual-stack, two sharing an address, one that cannot
/// be served) gets addresses from documentation prefixes, announced through the `log` plugin, beside one static VIP.
enum Defaults {
    static let configName = "<embedded default herald.yaml>"
    static let config = """
        apiVersion: herald.dev/v1
        kind: HeraldConfig
        node:
          labels:
            herald.dev/demo: "true"
        pools:
          - name: demo-v4
            addresses: [192.0.2.0/28]           # TEST-NET-1: documentation only, never routed
          - name: demo-v6
            addresses: ["2001:db8:4e::/120"]    # documentation prefix
          - name: demo-dual
            addresses: [198.51.100.0/28, "2001:db8:4f::/120"]
            autoAssign: false                   # only for Services that name it
        advertisements:
          - name: demo-log
            plugin: log
            attributes:
              note: the log plugin prints what a real announcer would send
        staticVIPs:
          - name: demo-dns
            address: 192.0.2.14
            services: [demo/dns]
        """

    /// The manifests of the demo, written to ``manifestsDirectory(environment:uid:)``.
    static let manifests: [(name: String, text: String)] = [
        (
            "10-namespace.yaml",
            """
            apiVersion: v1
            kind: Namespace
            metadata: {name: demo, labels: {team: web}}
            """
        ),
        (
            "20-services.yaml",
            """
            # An IPv4 Service: the lowest free address of the first pool that serves IPv4.
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: demo}
            spec:
              type: LoadBalancer
              ipFamilies: [IPv4]
              ports: [{port: 443, protocol: TCP}]
            ---
            # An IPv6 Service.
            apiVersion: v1
            kind: Service
            metadata: {name: web-v6, namespace: demo}
            spec:
              type: LoadBalancer
              ipFamilies: [IPv6]
              ports: [{port: 443, protocol: TCP}]
            ---
            # Dual-stack: one address of each family, both from the pool it names.
            apiVersion: v1
            kind: Service
            metadata:
              name: api
              namespace: demo
              annotations: {metallb.io/address-pool: demo-dual}
            spec:
              type: LoadBalancer
              ipFamilyPolicy: RequireDualStack
              ipFamilies: [IPv4, IPv6]
              ports: [{port: 8443, protocol: TCP}]
            ---
            # Two Services sharing one address: same key, different ports.
            apiVersion: v1
            kind: Service
            metadata:
              name: dns-tcp
              namespace: demo
              annotations: {metallb.io/allow-shared-ip: dns, metallb.io/loadBalancerIPs: 192.0.2.5}
            spec:
              type: LoadBalancer
              ports: [{port: 53, protocol: TCP}]
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: dns-udp
              namespace: demo
              annotations: {metallb.io/allow-shared-ip: dns, metallb.io/loadBalancerIPs: 192.0.2.5}
            spec:
              type: LoadBalancer
              ports: [{port: 53, protocol: UDP}]
            ---
            # This one cannot be served: it asks for an address that is in no pool. Herald says why.
            apiVersion: v1
            kind: Service
            metadata:
              name: legacy
              namespace: demo
              annotations: {metallb.io/loadBalancerIPs: 203.0.113.7}
            spec:
              type: LoadBalancer
              ports: [{port: 80, protocol: TCP}]
            """
        ),
    ]

    /// Why the demo's folder is not used.
    struct DemoFolderError: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes the demo manifests to a directory of their own (kept between runs, so the demo's status file and its
    /// assignments survive a restart) and returns its path. The folder sits in a temp folder others may write to:
    /// one that is a symbolic link or that another user owns is refused (its owner could change what Herald reads
    /// and writes there).
    static func manifestsDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment, uid: uid_t = getuid()
    ) throws -> String {
        let base = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let directory = "\(base)/herald-demo-\(uid)"
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw DemoFolderError(
                description: "\(directory): cannot create the demo's folder: \(String(cString: strerror(errno)))")
        }
        var st = stat()
        guard lstat(directory, &st) == 0 else {
            throw DemoFolderError(
                description: "\(directory): cannot examine the demo's folder: \(String(cString: strerror(errno)))")
        }
        let advice = "remove it, or set TMPDIR to a folder of your own"
        if (st.st_mode & S_IFMT) == S_IFLNK {
            throw DemoFolderError(
                description: "\(directory): refused: the demo's folder is a symbolic link, which someone else may "
                    + "have put there; \(advice)")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw DemoFolderError(description: "\(directory): refused: the demo's folder is not a folder; \(advice)")
        }
        guard st.st_uid == uid else {
            throw DemoFolderError(
                description: "\(directory): refused: the demo's folder is owned by uid \(st.st_uid), not by you "
                    + "(uid \(uid)), so its owner could change what Herald reads and writes there; \(advice)")
        }
        for (name, text) in manifests {
            let path = "\(directory)/\(name)"
            if FileManager.default.contents(atPath: path) != Data(text.utf8) {
                try? text.write(toFile: path, atomically: true, encoding: .utf8)
            }
        }
        return directory
    }

    static let pluginsName = "<embedded default plugins.d/log.yaml>"
    static let logPlugin = """
        name: log
        library: herald-log
        enabled: true
        """

    static let configPaths = ["/etc/herald/herald.yaml"]
    static let pluginDirectories = ["plugins.d", "/etc/herald/plugins.d"]

    /// The plugins.d folder when `--plugins-dir` is not given: the first of ``pluginDirectories`` that exists. The
    /// relative `plugins.d` depends on the folder Herald is started in; when Herald runs as root and takes it, the
    /// warning names the absolute folder used (its files choose what runs as root).
    static func pluginsDirectory(euid: UInt32 = geteuid()) -> (path: String?, warning: String?) {
        guard let path = pluginDirectories.first(where: Environment.exists) else { return (nil, nil) }
        guard euid == 0, !path.hasPrefix("/") else { return (path, nil) }
        let absolute = TrustedFile.absolute(path)
        let warning =
            "warning: running as root with the plugins.d folder of the working folder, \(absolute): its files "
            + "choose what runs as root; pass --plugins-dir \(absolute) (or install it as /etc/herald/plugins.d) to "
            + "silence this"
        return (path, warning)
    }
}
