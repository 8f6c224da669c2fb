import Foundation
import HeraldKubeTestSupport
import HeraldTestSupport
import Testing
import Yams

/// deploy/ as `kubectl kustomize` renders it (the base, and the base with its components), object by object; the
/// configuration it ships as `herald check` sees it once projected as the kubelet does; and the whole as the real API
/// server accepts it (`kubectl apply -k --dry-run=server`).
@Suite struct DeployTests {
    static let deploy = DevCluster.root + "/deploy"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The objects of a kustomization folder, rendered by kubectl's kustomize and parsed as YAML.
    static func render(_ directory: String) async throws -> [[String: Any]] {
        let out = try await TestSupport.runDetached(
            ["/usr/bin/kubectl", "kustomize", directory], timeout: 60, combineOutput: false)
        guard out.status == 0 else {
            throw Failure(description: "kubectl kustomize \(directory) failed (\(out.status)): \(out.stderr)")
        }
        return try Yams.load_all(yaml: out.stdout).map {
            guard let object = $0 as? [String: Any] else {
                throw Failure(description: "a rendered document is not a mapping: \(String(describing: $0))")
            }
            return object
        }
    }

    /// A kustomization of its own (in a temporary folder) with deploy/ as its resource and `components` of
    /// deploy/components: how a site enables a variant without editing deploy/.
    static func overlay(components: [String]) throws -> String {
        let dir = try TestSupport.temporaryDirectory("herald-deploy-overlay")
        let base = relativePath(from: dir, to: deploy)
        let text = """
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources: [\(base)]
            components: [\(components.map { "\(base)/components/\($0)" }.joined(separator: ", "))]

            """
        try text.write(toFile: dir + "/kustomization.yaml", atomically: true, encoding: .utf8)
        return dir
    }

    /// `target` relative to the folder `from` (kustomize refuses absolute resource paths).
    static func relativePath(from: String, to target: String) -> String {
        let a = from.split(separator: "/")
        let b = target.split(separator: "/")
        var common = 0
        while common < min(a.count, b.count), a[common] == b[common] { common += 1 }
        return (Array(repeating: "..", count: a.count - common) + b[common...].map(String.init)).joined(separator: "/")
    }

    static func objects(_ all: [[String: Any]], kind: String) -> [[String: Any]] {
        all.filter { $0["kind"] as? String == kind }
    }

    static func one(_ all: [[String: Any]], kind: String, name: String) throws -> [String: Any] {
        let found = objects(all, kind: kind).filter { value($0, "metadata", "name") as? String == name }
        guard found.count == 1 else { throw Failure(description: "\(found.count) \(kind) named \(name)") }
        return found[0]
    }

    /// The value at a path of mapping keys.
    static func value(_ object: Any?, _ path: String...) -> Any? {
        var current = object
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }

    static func podSpec(_ workload: [String: Any]) -> [String: Any] {
        value(workload, "spec", "template", "spec") as? [String: Any] ?? [:]
    }

    static func container(_ workload: [String: Any]) throws -> [String: Any] {
        let containers = podSpec(workload)["containers"] as? [[String: Any]] ?? []
        guard containers.count == 1 else { throw Failure(description: "\(containers.count) containers, expected 1") }
        return containers[0]
    }

    /// The value of `--NAME=VALUE` in a container's arguments.
    static func argument(_ container: [String: Any], _ name: String) -> String? {
        let prefix = "--\(name)="
        return (container["args"] as? [String] ?? []).first { $0.hasPrefix(prefix) }.map {
            String($0.dropFirst(prefix.count))
        }
    }

    /// A probe's port as a number: a named port resolves through the container's ports.
    static func probePort(_ container: [String: Any], _ probe: String) -> Int? {
        let port = value(container, probe, "httpGet", "port")
        if let number = port as? Int { return number }
        guard let name = port as? String else { return nil }
        let ports = container["ports"] as? [[String: Any]] ?? []
        return ports.first { $0["name"] as? String == name }?["containerPort"] as? Int
    }

    /// The port of `--status-address=HOST:PORT`.
    static func statusPort(_ container: [String: Any]) -> Int? {
        argument(container, "status-address").flatMap { $0.split(separator: ":").last.flatMap { Int($0) } }
    }

    static func env(_ container: [String: Any], _ name: String) -> String? {
        let entries = container["env"] as? [[String: Any]] ?? []
        return entries.first { $0["name"] as? String == name }.flatMap {
            value($0, "valueFrom", "fieldRef", "fieldPath") as? String
        }
    }

    @Test func theSpeakerDaemonSetRunsOnTheHostNetworkWithTwoCapabilities() async throws {
        let all = try await Self.render(Self.deploy)
        let speaker = try Self.one(all, kind: "DaemonSet", name: "herald-speaker")
        #expect(Self.value(speaker, "metadata", "namespace") as? String == "herald-system")
        let pod = Self.podSpec(speaker)
        #expect(pod["hostNetwork"] as? Bool == true)
        #expect(pod["dnsPolicy"] as? String == "ClusterFirstWithHostNet")
        #expect(pod["serviceAccountName"] as? String == "herald-speaker")
        let container = try Self.container(speaker)
        let args = container["args"] as? [String] ?? []
        #expect(args.first == "run")
        #expect(Self.argument(container, "role") == "speaker")
        #expect(Self.env(container, "NODE_NAME") == "spec.nodeName")
        #expect(Self.env(container, "POD_NAME") == "metadata.name")
        #expect(Self.env(container, "POD_NAMESPACE") == "metadata.namespace")

        let security = container["securityContext"] as? [String: Any] ?? [:]
        #expect(Self.value(security, "capabilities", "drop") as? [String] == ["ALL"])
        #expect(
            (Self.value(security, "capabilities", "add") as? [String])?.sorted() == ["NET_BIND_SERVICE", "NET_RAW"])
        #expect(security["readOnlyRootFilesystem"] as? Bool == true)
        #expect(security["allowPrivilegeEscalation"] as? Bool == false)

        // Both probes reach the status endpoints where --status-address serves them.
        let status = try #require(Self.statusPort(container))
        #expect(Self.value(container, "livenessProbe", "httpGet", "path") as? String == "/healthz")
        #expect(Self.value(container, "readinessProbe", "httpGet", "path") as? String == "/readyz")
        #expect(Self.probePort(container, "livenessProbe") == status)
        #expect(Self.probePort(container, "readinessProbe") == status)
        // Prometheus finds the same port, by annotation and by name.
        let annotations = Self.value(speaker, "spec", "template", "metadata", "annotations") as? [String: String]
        #expect(annotations?["prometheus.io/scrape"] == "true")
        #expect(annotations?["prometheus.io/port"] == String(status))
        let ports = container["ports"] as? [[String: Any]] ?? []
        #expect(ports.contains { $0["name"] as? String == "metrics" && $0["containerPort"] as? Int == status })

        // Requests and limits, each of CPU and memory.
        for kind in ["requests", "limits"] {
            let resources = Self.value(container, "resources", kind) as? [String: Any]
            #expect(resources?["cpu"] != nil && resources?["memory"] != nil, "resources.\(kind)")
        }
        // MetalLB's speaker tolerations.
        let tolerations = pod["tolerations"] as? [[String: Any]] ?? []
        let keys = Set(tolerations.compactMap { $0["key"] as? String })
        #expect(keys == ["node-role.kubernetes.io/master", "node-role.kubernetes.io/control-plane"])
        #expect(tolerations.allSatisfy { $0["effect"] as? String == "NoSchedule" })
    }

    /// SIGTERM withdraws and stops every instance in turn, two calls each, each bounded by the instance's
    /// callTimeoutMs (5 s by default): the grace period must outlast all of them, in the base and in every variant.
    @Test(arguments: [[], ["bgp"], ["bgp", "control-plane"]])
    func theGracePeriodOutlastsTheLongestWithdrawal(components: [String]) async throws {
        let directory = components.isEmpty ? Self.deploy : try Self.overlay(components: components)
        let all = try await Self.render(directory)
        let speaker = try Self.one(all, kind: "DaemonSet", name: "herald-speaker")
        let grace = try #require(Self.podSpec(speaker)["terminationGracePeriodSeconds"] as? Int)
        let plugins = try Self.mountedConfigMap(all, speaker, argument: "plugins-dir")
        var longest = 0.0
        for (file, text) in plugins {
            let instance = try #require(try Yams.load(yaml: text) as? [String: Any], "\(file)")
            guard instance["enabled"] as? Bool ?? true else { continue }
            longest += 2 * Double(instance["callTimeoutMs"] as? Int ?? 5000) / 1000
        }
        #expect(longest > 0)
        #expect(Double(grace) > longest, "grace \(grace) s, withdrawals up to \(longest) s")
        // The BGP variant stops for a restart (graceful restart keeps its routes through a rolling update); the base,
        // which announces through ARP alone, withdraws.
        let onStop = Self.argument(try Self.container(speaker), "on-stop")
        #expect(onStop == (components.contains("bgp") ? "restart" : nil), "--on-stop=\(onStop ?? "-")")
    }

    @Test func theAllocatorIsADeploymentOfTwoUnderItsOwnAccount() async throws {
        let all = try await Self.render(Self.deploy)
        let allocator = try Self.one(all, kind: "Deployment", name: "herald-allocator")
        #expect(Self.value(allocator, "spec", "replicas") as? Int == 2)
        let pod = Self.podSpec(allocator)
        #expect(pod["serviceAccountName"] as? String == "herald-allocator")
        #expect(pod["hostNetwork"] as? Bool != true)
        let container = try Self.container(allocator)
        #expect(Self.argument(container, "role") == "allocator")
        // Two replicas on one node are still two election candidates.
        #expect(Self.argument(container, "node-name") == "$(POD_NAME)")
        #expect(Self.env(container, "POD_NAME") == "metadata.name")
        #expect(Self.argument(container, "plugins-dir") == nil)
        let status = try #require(Self.statusPort(container))
        #expect(Self.probePort(container, "livenessProbe") == status)
        #expect(Self.probePort(container, "readinessProbe") == status)
        let security = container["securityContext"] as? [String: Any] ?? [:]
        #expect(Self.value(security, "capabilities", "drop") as? [String] == ["ALL"])
        #expect(Self.value(security, "capabilities", "add") == nil)
        #expect(security["readOnlyRootFilesystem"] as? Bool == true)
        #expect(Self.value(pod, "securityContext", "runAsNonRoot") as? Bool == true)
        // Each workload's account is among the objects, and so is the namespace.
        func names(_ kind: String) -> Set<String> {
            Set(Self.objects(all, kind: kind).compactMap { Self.value($0, "metadata", "name") as? String })
        }
        #expect(names("ServiceAccount").isSuperset(of: ["herald-allocator", "herald-speaker"]))
        #expect(names("Namespace") == ["herald-system"])
    }

    /// The image is named once (the `images:` entry of deploy/kustomization.yaml) and every container runs it.
    @Test func everyContainerRunsTheImageOfTheImagesEntry() async throws {
        let text = try String(contentsOfFile: Self.deploy + "/kustomization.yaml", encoding: .utf8)
        let kustomization = try #require(try Yams.load(yaml: text) as? [String: Any])
        let images = try #require(kustomization["images"] as? [[String: Any]])
        #expect(images.count == 1)
        let name = try #require(images.first?["name"] as? String)
        let tag = try #require(images.first?["newTag"] as? String)
        let all = try await Self.render(Self.deploy)
        let workloads = Self.objects(all, kind: "DaemonSet") + Self.objects(all, kind: "Deployment")
        #expect(workloads.count == 2)
        for workload in workloads {
            #expect(try Self.container(workload)["image"] as? String == "\(name):\(tag)")
        }
    }

    @Test func theControlPlaneComponentToleratesEveryTaint() async throws {
        let all = try await Self.render(try Self.overlay(components: ["control-plane"]))
        let speaker = try Self.one(all, kind: "DaemonSet", name: "herald-speaker")
        let tolerations = Self.podSpec(speaker)["tolerations"] as? [[String: Any]] ?? []
        #expect(
            tolerations.contains { $0["operator"] as? String == "Exists" && $0["key"] == nil && $0["effect"] == nil })
        let allocator = try Self.one(all, kind: "Deployment", name: "herald-allocator")
        #expect(Self.podSpec(allocator)["tolerations"] == nil)
    }

    /// The files of the ConfigMap a workload mounts where `--NAME` points (the folder of a file argument, or the
    /// folder itself), as file name → content.
    static func mountedConfigMap(
        _ all: [[String: Any]], _ workload: [String: Any], argument name: String
    ) throws -> [String: String] {
        let container = try container(workload)
        let path = try #require(argument(container, name), "--\(name)")
        let folder = name == "config" ? (path as NSString).deletingLastPathComponent : path
        let mounts = container["volumeMounts"] as? [[String: Any]] ?? []
        let mount = try #require(mounts.first { $0["mountPath"] as? String == folder }, "a mount at \(folder)")
        #expect(mount["readOnly"] as? Bool == true)
        let volumes = podSpec(workload)["volumes"] as? [[String: Any]] ?? []
        let volume = try #require(volumes.first { $0["name"] as? String == mount["name"] as? String })
        let configMap = try #require(value(volume, "configMap", "name") as? String, "\(folder) is a ConfigMap")
        let object = try one(all, kind: "ConfigMap", name: configMap)
        let data = try #require(object["data"] as? [String: String])
        if name == "config" {
            let file = (path as NSString).lastPathComponent
            #expect(data[file] != nil, "\(configMap) holds \(file)")
        }
        return data
    }

    /// What the speaker mounts (herald.yaml and plugins.d) passes `herald check` with the bundled plugins, in the
    /// base and in each variant; the allocator mounts the same herald.yaml.
    @Test(arguments: [[], ["bgp"], ["bgp", "control-plane"]])
    func theShippedConfigurationPassesHeraldCheck(components: [String]) async throws {
        let directory = components.isEmpty ? Self.deploy : try Self.overlay(components: components)
        let all = try await Self.render(directory)
        let speaker = try Self.one(all, kind: "DaemonSet", name: "herald-speaker")
        let allocator = try Self.one(all, kind: "Deployment", name: "herald-allocator")
        let config = try Self.mountedConfigMap(all, speaker, argument: "config")
        #expect(try Self.mountedConfigMap(all, allocator, argument: "config") == config)
        let plugins = try Self.mountedConfigMap(all, speaker, argument: "plugins-dir")
        #expect(!plugins.isEmpty)
        #expect(plugins.keys.allSatisfy { $0.hasSuffix(".yaml") })

        let root = try TestSupport.temporaryDirectory("herald-deploy-check")
        defer { try? FileManager.default.removeItem(atPath: root) }
        // As the kubelet projects a ConfigMap: `..TIMESTAMP/`, `..data` linked to it, each file a link through it.
        var configFolder = try ProjectedFolder(root + "/config")
        try configFolder.project(config)
        var pluginsFolder = try ProjectedFolder(root + "/plugins.d")
        try pluginsFolder.project(plugins)
        let container = try Self.container(speaker)
        let configFile = (try #require(Self.argument(container, "config")) as NSString).lastPathComponent
        let herald = try TestSupport.product("herald")
        let out = try await TestSupport.runDetached(
            [herald, "check", "--config", "\(root)/config/\(configFile)", "--plugins-dir", "\(root)/plugins.d"],
            timeout: 60)
        #expect(out.status == 0, "herald check: \(out.stdout)")
        #expect(!out.stdout.contains("warning:"), "herald check: \(out.stdout)")
        // The variant's instances are the ones enabled: bgp replaces arp.
        let enabled = try plugins.values.compactMap { text -> String? in
            let instance = try Yams.load(yaml: text) as? [String: Any]
            return instance?["enabled"] as? Bool ?? true ? instance?["name"] as? String : nil
        }
        #expect(Set(enabled) == (components.contains("bgp") ? ["log", "bgp"] : ["log", "arp"]))
    }

    /// A ConfigMap volume as the kubelet mounts it: the volume's folder is mode 777, and the container sees it
    /// read-only. Herald trusts files below a folder others may write only when no one can write through the mount:
    /// the same projection is refused on a writable mount and accepted once it is read-only (a bind mount in a mount
    /// namespace of the check's own, so nothing outlives it).
    @Test func aConfigMapVolumeIsTrustedOnlyOnAReadOnlyMount() async throws {
        let all = try await Self.render(Self.deploy)
        let speaker = try Self.one(all, kind: "DaemonSet", name: "herald-speaker")
        let config = try Self.mountedConfigMap(all, speaker, argument: "config")
        let plugins = try Self.mountedConfigMap(all, speaker, argument: "plugins-dir")
        let root = try TestSupport.temporaryDirectory("herald-deploy-volume")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var configFolder = try ProjectedFolder(root + "/config")
        try configFolder.project(config)
        var pluginsFolder = try ProjectedFolder(root + "/plugins.d")
        try pluginsFolder.project(plugins)
        chmod(configFolder.path, 0o777)
        chmod(pluginsFolder.path, 0o777)
        let herald = try TestSupport.product("herald")
        let check = [
            herald, "check", "--config", configFolder.path + "/herald.yaml", "--plugins-dir", pluginsFolder.path,
        ]

        let writable = try await TestSupport.runDetached(check, timeout: 60)
        #expect(writable.status == 1)
        #expect(
            writable.stdout.contains(
                "refused: the folder \(configFolder.path) is writable by group or others (mode 777)"),
            "\(writable.stdout)")

        let readOnly = try await TestSupport.runDetached(
            [
                "/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                #"for d in "$1" "$2"; do mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" "$d" || exit 3; done; shift 2; exec "$@""#,
                "sh", configFolder.path, pluginsFolder.path,
            ] + check, timeout: 60)
        #expect(readOnly.status == 0, "herald check on read-only mounts: \(readOnly.stdout)")
    }

    /// The real API server accepts every object of the base and of the variants (`kubectl apply -k … --dry-run=server`:
    /// schema, defaulting and admission, nothing stored).
    @Test(arguments: [[], ["bgp", "control-plane"]])
    func theAPIServerAcceptsTheDeployment(components: [String]) async throws {
        let cluster = try await DevCluster.shared()
        let directory = components.isEmpty ? Self.deploy : try Self.overlay(components: components)
        let result = try await cluster.kubectl(["apply", "-k", directory, "--dry-run=server"])
        #expect(result.status == 0, "kubectl apply -k --dry-run=server: \(result.output)")
        for object in ["daemonset.apps/herald-speaker", "deployment.apps/herald-allocator", "namespace/herald-system"] {
            #expect(result.output.contains(object), "\(object) in: \(result.output)")
        }
        // Dry run: nothing was created.
        let get = try await cluster.kubectl(["get", "daemonset", "herald-speaker", "-n", "herald-system"])
        #expect(get.status != 0)
    }
}
