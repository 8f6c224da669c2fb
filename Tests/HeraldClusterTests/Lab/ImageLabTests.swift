import Foundation
import HeraldKube
import HeraldKubeModels
import HeraldKubeTestSupport
import HeraldTestSupport
import Testing

/// The 3-node lab run from the container image, as `kubectl apply -k deploy/` deploys it: the manifests applied to
/// the lab's API server, each node's speaker and one allocator run from the image's root filesystem (chroot, in a
/// mount and PID namespace of their own; the speakers in their node's network namespace, as `hostNetwork` pods) with
/// the arguments and environment of the rendered DaemonSet and Deployment, a token for their ServiceAccount from the
/// TokenRequest API where a pod has its projected token, and the ConfigMaps projected as the kubelet projects them.
///
/// Needs `HERALD_IMAGE_ROOTFS`, the unpacked image: `scripts/image-test` builds the image, checks it and runs this
/// suite with it (the image needs a release build, which the test command leaves out; `scripts/test` skips this suite).
@Suite(.serialized) struct ImageLabTests {
    /// One pod: a process of the image, its projected ConfigMaps and service-account folder.
    final class Pod: @unchecked Sendable {
        // @unchecked: used from the test task only.
        let name: String
        let process = Process()
        let log: String
        var config: ProjectedFolder
        var plugins: ProjectedFolder

        init(
            name: String, directory: String, rootfs: String, netns: String?, args: [String], env: [String: String],
            token: String, ca: String, config configData: [String: String], plugins pluginData: [String: String]
        ) throws {
            self.name = name
            let base = "\(directory)/pods/\(name)"
            config = try ProjectedFolder("\(base)/config")
            plugins = try ProjectedFolder("\(base)/plugins")
            try config.project(configData)
            try plugins.project(pluginData)
            let account = "\(base)/serviceaccount"
            try FileManager.default.createDirectory(atPath: account, withIntermediateDirectories: true)
            try token.write(toFile: "\(account)/token", atomically: true, encoding: .utf8)
            try ca.write(toFile: "\(account)/ca.crt", atomically: true, encoding: .utf8)
            try "herald-system".write(toFile: "\(account)/namespace", atomically: true, encoding: .utf8)
            log = "\(base)/log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            // The pod's mounts, then its container's entrypoint with its arguments, in namespaces of its own.
            let script = """
                set -e
                mount --make-rprivate /
                mount -t proc proc "$ROOT/proc"
                mount --bind /dev/null "$ROOT/dev/null"
                mount -t tmpfs -o mode=1777,size=16m tmpfs "$ROOT/tmp"
                mount --bind "$BASE/config" "$ROOT/etc/herald/config"
                mount --bind "$BASE/plugins" "$ROOT/etc/herald/plugins.d"
                mount --bind "$BASE/serviceaccount" "$ROOT/var/run/secrets/kubernetes.io/serviceaccount"
                exec chroot "$ROOT" /usr/bin/herald "$@"
                """
            let unshare = ["unshare", "--mount", "--pid", "--fork", "--kill-child", "bash", "-c", script, "herald"]
            process.executableURL = URL(fileURLWithPath: netns == nil ? "/usr/bin/env" : "/usr/sbin/ip")
            process.arguments = (netns.map { ["netns", "exec", $0] } ?? []) + unshare + args
            process.environment = env.merging(["ROOT": rootfs, "BASE": base, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]) {
                a, _ in a
            }
            let out = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = out
            process.standardError = out
            try process.run()
            try out.close()
        }

        var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        /// SIGTERM to the namespace's first process (which forwards nothing: herald is its child), so to herald.
        func stop() async {
            _ = try? await Lab.sh(
                "pkill -TERM -P $(pgrep -P \(process.processIdentifier) | head -n1) 2>/dev/null; true")
            _ = try? await Lab.sh("pkill -TERM -P \(process.processIdentifier) 2>/dev/null; true")
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    /// The workloads `kubectl apply -k deploy/` created, as the API server holds them (JSON).
    static func rendered(_ cluster: DevCluster) async throws -> [[String: Any]] {
        let json = try await Lab.sh(
            "kubectl --kubeconfig \(cluster.adminKubeconfig) get daemonsets,deployments -n herald-system -o json")
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return (object?["items"] as? [[String: Any]]) ?? []
    }

    /// The first container of the workload `kind`/`name`: its arguments (with `$(VAR)` expanded from `env`).
    static func arguments(_ objects: [[String: Any]], kind: String, name: String, env: [String: String]) -> [String] {
        let workload = objects.first {
            $0["kind"] as? String == kind && ($0["metadata"] as? [String: Any])?["name"] as? String == name
        }
        let spec = (workload?["spec"] as? [String: Any])?["template"] as? [String: Any]
        let containers = (spec?["spec"] as? [String: Any])?["containers"] as? [[String: Any]]
        return ((containers?.first?["args"] as? [String]) ?? []).map { argument in
            env.reduce(argument) { text, pair in text.replacingOccurrences(of: "$(\(pair.key))", with: pair.value) }
        }
    }

    /// The data of the ConfigMap whose name starts with `prefix` in herald-system, and its name.
    static func configMap(
        _ cluster: DevCluster, _ prefix: String
    ) async throws -> (name: String, data: [String: String]) {
        let json = try await Lab.sh(
            "kubectl --kubeconfig \(cluster.adminKubeconfig) get configmaps -n herald-system -o json")
        let items =
            (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["items"] as? [[String: Any]]
        guard
            let item = items?.first(where: {
                (($0["metadata"] as? [String: Any])?["name"] as? String)?.hasPrefix(prefix + "-") ?? false
            }), let name = (item["metadata"] as? [String: Any])?["name"] as? String
        else { throw DevCluster.ClusterError(message: "no ConfigMap \(prefix)-… in herald-system") }
        return (name, (item["data"] as? [String: String]) ?? [:])
    }

    @Test func threeNodesFromTheImageWithTokensAndProjectedConfigMaps() async throws {
        guard let rootfs = ProcessInfo.processInfo.environment["HERALD_IMAGE_ROOTFS"] else {
            Issue.record("HERALD_IMAGE_ROOTFS (an unpacked image) is not set: run scripts/image-test, which builds it")
            return
        }
        for folder in ["proc", "dev", "etc/herald/config", "var/run/secrets/kubernetes.io/serviceaccount"] {
            try FileManager.default.createDirectory(
                atPath: "\(rootfs)/\(folder)", withIntermediateDirectories: true)
        }
        _ = FileManager.default.createFile(atPath: "\(rootfs)/dev/null", contents: nil)
        let lab = try await Lab.start("herald-image-lab", fixtures: false)
        defer { lab.destroy() }
        let cluster = lab.cluster
        let kubectl = "kubectl --kubeconfig \(cluster.adminKubeconfig)"
        _ = try await Lab.sh("\(kubectl) apply -k \(DevCluster.root)/deploy")
        let objects = try await Self.rendered(cluster)
        // The pool moves into the lab's network: an operator's edit of the ConfigMap.
        var (configName, configData) = try await Self.configMap(cluster, "herald-config")
        let (_, pluginData) = try await Self.configMap(cluster, "herald-plugins")
        func setConfig(_ text: String) async throws {
            let patch = try JSONSerialization.data(withJSONObject: ["data": ["herald.yaml": text]])
            let file = "\(lab.directory)/patch.json"
            try patch.write(to: URL(fileURLWithPath: file))
            _ = try await Lab.sh(
                "\(kubectl) patch configmap \(configName) -n herald-system --type merge --patch-file \(file)")
            configData = try await Self.configMap(cluster, "herald-config").data
        }
        let original = configData["herald.yaml"] ?? ""
        try #require(original.contains("192.0.2.240/28"), "deploy/config/herald.yaml: \(original)")
        try await setConfig(original.replacingOccurrences(of: "192.0.2.240/28", with: "198.51.100.224/28"))
        // The lab's interfaces are named eth0 (the automatic choice leaves out veth pairs by driver).
        let plugins = pluginData.mapValues {
            $0.replacingOccurrences(of: "excludeInterfaces: []", with: "interfaces: [eth0]")
        }

        // Tokens from the TokenRequest API for the shipped ServiceAccounts, and the API server's CA.
        let speakerToken = try await Lab.sh("\(kubectl) create token herald-speaker -n herald-system --duration=2h")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let allocatorToken = try await Lab.sh(
            "\(kubectl) create token herald-allocator -n herald-system --duration=2h"
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        let ca = try String(contentsOfFile: "\(cluster.directory)/ca.crt", encoding: .utf8)
        try #require(speakerToken.split(separator: ".").count == 3 && ca.contains("BEGIN CERTIFICATE"))

        try await withClient(try cluster.adminClient("image-lab")) { kube in
            try await ControllerLab.cleanUp(kube)
            await lab.createNodes(kube)
            var pods: [Pod] = []
            defer { for pod in pods where pod.process.isRunning { kill(pod.process.processIdentifier, SIGKILL) } }
            for (index, node) in lab.names.enumerated() {
                let env = [
                    "NODE_NAME": node, "POD_NAME": "herald-speaker-\(node)", "POD_NAMESPACE": "herald-system",
                    "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": lab.port,
                ]
                pods.append(
                    try Pod(
                        name: "speaker-\(node)", directory: lab.directory, rootfs: rootfs, netns: lab.nodes[index],
                        args: Self.arguments(objects, kind: "DaemonSet", name: "herald-speaker", env: env), env: env,
                        token: speakerToken, ca: ca, config: configData, plugins: plugins))
            }
            // The allocator Deployment's pod, outside the nodes' networks (not hostNetwork): the API server's own port.
            let apiPort =
                try String(contentsOfFile: cluster.adminKubeconfig, encoding: .utf8).split(separator: "\n")
                .first { $0.contains("server:") }?.split(separator: ":").last.map(String.init) ?? ""
            let allocatorEnv = [
                "POD_NAME": "herald-allocator-0", "POD_NAMESPACE": "herald-system", "NODE_NAME": "node-a",
                "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": apiPort,
            ]
            let allocatorArgs = Self.arguments(
                objects, kind: "Deployment", name: "herald-allocator", env: allocatorEnv)
            pods.append(
                try Pod(
                    name: "allocator", directory: lab.directory, rootfs: rootfs, netns: nil,
                    args: allocatorArgs.map {
                        $0 == "--status-address=0.0.0.0:9464" ? "--status-address=127.0.0.1:0" : $0
                    },
                    env: allocatorEnv, token: allocatorToken, ca: ca, config: configData, plugins: [:]))
            let outputs = { pods.map { "== \($0.name)\n\($0.output)" }.joined(separator: "\n") }

            // Services get addresses from the pool and are announced.
            let ns = try await makeNamespace(kube, "image")
            let names = ["a", "b", "c"]
            try await ControllerLab.create(kube, names.map { ControllerLab.service($0, namespace: ns) })
            let assigned = try await ControllerLab.waitAssigned(kube, namespace: ns, names: Set(names))
            let addresses = names.compactMap { assigned[$0]?.addresses.first }
            #expect(
                addresses.count == 3
                    && addresses.allSatisfy { $0.hasPrefix("198.51.100.22") || $0.hasPrefix("198.51.100.23") })
            var owners: [String: String] = [:]
            let answered = await eventually(timeout: .seconds(30)) {
                for address in addresses { owners[address] = await lab.owner(address) }
                return owners.values.count == 3
            }
            #expect(answered, "ARP owners \(owners)\n\(outputs())")

            // A ConfigMap edit that moves the pool: in force within 2 s of the projection, with no signal.
            try await setConfig(
                original.replacingOccurrences(of: "192.0.2.240/28", with: "198.51.100.240/28"))
            let edited = ContinuousClock.now
            for pod in pods { try pod.config.project(configData) }
            var moved: [String: String] = [:]
            let inForce = await eventually(timeout: .seconds(10)) {
                moved =
                    (try? await ControllerLab.snapshot(kube, namespace: ns))?.compactMapValues(\.addresses.first) ?? [:]
                guard moved.count == 3,
                    moved.values.allSatisfy({ $0.hasPrefix("198.51.100.24") || $0.hasPrefix("198.51.100.25") })
                else {
                    return false
                }
                for address in moved.values where await lab.owner(address) == nil { return false }
                return true
            }
            let took = ContinuousClock.now - edited
            print("image lab: a ConfigMap edit moving the pool, projected → every Service moved and answered: \(took)")
            #expect(inForce && took < .seconds(2) + .milliseconds(500), "\(took): \(moved)\n\(outputs())")

            // A broken edit changes nothing and raises a Warning on each pod.
            try await setConfig("apiVersion: herald.dev/v1\npools: [{name: default, addresses: [198.51.100.300/28]}]\n")
            for pod in pods { try pod.config.project(configData) }
            var events = ""
            let podNames = lab.names.map { "herald-speaker-\($0)" } + ["herald-allocator-0"]
            let warned = await eventually(timeout: .seconds(10)) {
                events =
                    (try? await Lab.sh(
                        "\(kubectl) get events -n herald-system --field-selector reason=ConfigReloadFailed "
                            + "-o jsonpath='{range .items[*]}{.involvedObject.name} {.type} {.message}{\"\\n\"}{end}'"))
                    ?? ""
                return podNames.allSatisfy { events.contains("\($0) Warning ") }
            }
            #expect(warned && events.contains("herald.yaml:2:"), "\(events)")
            let after = try await ControllerLab.snapshot(kube, namespace: ns).compactMapValues(\.addresses.first)
            #expect(after == moved, "a broken edit changed \(moved) to \(after)")

            // Outside the shipped RBAC: the speaker's token may not write a Service's status (attempted: 403).
            let forbidden = try await TestSupport.runDetached(
                [
                    "/bin/sh", "-c",
                    "kubectl --kubeconfig /dev/null --server https://127.0.0.1:\(apiPort) --insecure-skip-tls-verify "
                        + "--token \(speakerToken) -n \(ns) patch service a --subresource=status --type merge "
                        + "-p '{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"203.0.113.9\"}]}}}' 2>&1; true",
                ], timeout: 30, combineOutput: true)
            #expect(
                forbidden.stdout.contains("Forbidden") || forbidden.stdout.contains("forbidden"), "\(forbidden.stdout)")
            print("image lab: the speaker's token writing a Service's status: \(forbidden.stdout.prefix(200))")
            print("image lab: Warning Events of the broken edit:\n\(events)")

            // The allocator's /metrics through a Prometheus text parser: the pool usage the test assigned.
            var base: String?
            _ = await eventually(timeout: .seconds(10)) {
                let lines = pods.last?.output.split(separator: "\n") ?? []
                guard let line = lines.first(where: { $0.contains("status endpoints: http://") }),
                    let start = line.range(of: "http://")
                else { return false }
                base = "http://" + line[start.upperBound...].prefix { $0 != "/" }
                return true
            }
            // With the speakers' scrapes (ARP), and the captured scrapes of speakers running BGP and NDP and of an ARP
            // conflict (Tests/Fixtures/Metrics: what this lab does not run), every query of the dashboard names a metric
            // that exists.
            var scrapes: [String] = []
            for (index, node) in lab.names.enumerated() {
                let file = "\(lab.directory)/\(node).prom"
                _ = try await Lab.sh(
                    "ip netns exec \(lab.nodes[index]) curl -sf --max-time 5 http://127.0.0.1:9464/metrics > \(file)")
                scrapes += ["--scrape", file]
            }
            for fixture in ["speaker-bgp-a.prom", "speaker-bgp-b.prom", "speaker-l2.prom"] {
                scrapes += ["--scrape", "\(DevCluster.root)/Tests/Fixtures/Metrics/\(fixture)"]
            }
            let checked = try await TestSupport.runDetached(
                [
                    "\(DevCluster.root)/scripts/check-metrics", "\(base ?? "http://127.0.0.1:1")/metrics",
                    "--dashboard", "\(DevCluster.root)/deploy/dashboard/herald.json", "--expect",
                    #"herald_pool_addresses_in_use{pool="default",family="IPv4"}=3"#,
                ] + scrapes, timeout: 60, combineOutput: true)
            print("image lab: scripts/check-metrics on the allocator's /metrics:\n\(checked.stdout)")
            #expect(checked.status == 0, "\(checked.stdout)")

            for pod in pods { await pod.stop() }
            #expect(pods.allSatisfy { !$0.process.isRunning }, "\(outputs())")
        }
    }
}
