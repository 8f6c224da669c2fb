/// The configuration Herald runs on when no file is given and none is installed: a static-VIP demo that needs no
/// cluster and touches no network (documentation addresses, announced through the `log` plugin).
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
        advertisements:
          - name: demo-log
            plugin: log
            attributes:
              note: the log plugin prints what a real announcer would send
        staticVIPs:
          - name: demo-web
            address: 192.0.2.10
            services: [demo/web]
          - name: demo-web-v6
            address: "2001:db8:4e::10"
            services: [demo/web]
        """

    static let pluginsName = "<embedded default plugins.d/log.yaml>"
    static let logPlugin = """
        name: log
        library: herald-log
        enabled: true
        """

    static let configPaths = ["/etc/herald/herald.yaml"]
    static let pluginDirectories = ["plugins.d", "/etc/herald/plugins.d"]
}
