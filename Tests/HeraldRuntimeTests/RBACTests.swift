import Foundation
import HeraldRuntime
import Testing
import Yams

/// deploy/rbac.yaml: the allocator and the speakers under ServiceAccounts of their own, a speaker's token unable to
/// write a Service or its status, and each role allowed what its parts of Herald use.
@Suite struct RBACTests {
    struct Rule {
        var groups: [String]
        var resources: [String]
        var names: [String]
        var verbs: [String]
    }

    let documents: [[String: Any]]

    init() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("deploy/rbac.yaml"), encoding: .utf8)
        documents = try Yams.load_all(yaml: text).compactMap { $0 as? [String: Any] }
    }

    func name(_ document: [String: Any]) -> String? { (document["metadata"] as? [String: Any])?["name"] as? String }

    /// The rules of every Role and ClusterRole bound to a ServiceAccount.
    func rules(of account: String) -> [Rule] {
        let bindings = documents.filter { ($0["kind"] as? String)?.hasSuffix("RoleBinding") == true }
        let bound = bindings.filter { binding in
            (binding["subjects"] as? [[String: Any]] ?? []).contains {
                $0["kind"] as? String == "ServiceAccount" && $0["name"] as? String == account
            }
        }
        let roles = bound.compactMap {
            ($0["roleRef"] as? [String: Any]).map { ($0["kind"] as? String, $0["name"] as? String) }
        }
        return roles.flatMap { kind, roleName in
            documents.filter { $0["kind"] as? String == kind && name($0) == roleName }.flatMap { role in
                (role["rules"] as? [[String: Any]] ?? []).map {
                    Rule(
                        groups: $0["apiGroups"] as? [String] ?? [], resources: $0["resources"] as? [String] ?? [],
                        names: $0["resourceNames"] as? [String] ?? [], verbs: $0["verbs"] as? [String] ?? [])
                }
            }
        }
    }

    func verbs(_ rules: [Rule], _ resource: String, group: String = "") -> Set<String> {
        Set(rules.filter { $0.groups.contains(group) && $0.resources.contains(resource) }.flatMap(\.verbs))
    }

    static let writes: Set<String> = ["create", "update", "patch", "delete", "deletecollection", "*"]

    @Test func everyDocumentParsesAndEachAccountExists() {
        let accounts = Set(documents.filter { $0["kind"] as? String == "ServiceAccount" }.compactMap(name))
        #expect(accounts == ["herald", "herald-allocator", "herald-speaker"])
        #expect(documents.count == 12)
    }

    @Test func aSpeakerCannotWriteAServiceOrItsStatus() {
        let speaker = rules(of: "herald-speaker")
        #expect(!speaker.isEmpty)
        #expect(verbs(speaker, "services/status").isEmpty)
        #expect(verbs(speaker, "services").isDisjoint(with: Self.writes))
        #expect(!speaker.contains { $0.resources.contains("*") || $0.verbs.contains("*") || $0.groups.contains("*") })
        // What the speaker's parts read and write (KubernetesMode.parts(.speaker)).
        #expect(!KubernetesMode.parts(.speaker).contains(.namespaces) && verbs(speaker, "namespaces").isEmpty)
        #expect(verbs(speaker, "nodes").isSuperset(of: ["list", "watch"]))
        #expect(verbs(speaker, "endpointslices", group: "discovery.k8s.io").isSuperset(of: ["list", "watch"]))
        #expect(verbs(speaker, "events").isSuperset(of: ["create", "patch"]))
        #expect(
            verbs(speaker, "leases", group: "coordination.k8s.io").isSuperset(of: [
                "get", "list", "watch", "create", "update", "delete",
            ]))
    }

    @Test func theAllocatorWritesStatusAndOnlyItsOwnLease() {
        let allocator = rules(of: "herald-allocator")
        #expect(verbs(allocator, "services/status").contains("patch"))
        #expect(verbs(allocator, "services").isDisjoint(with: Self.writes))
        #expect(verbs(allocator, "namespaces").isSuperset(of: ["list", "watch"]))
        #expect(verbs(allocator, "nodes").isEmpty)
        let leases = allocator.filter { $0.groups.contains("coordination.k8s.io") && $0.resources.contains("leases") }
        // Every lease verb but create (which RBAC cannot limit by name) is for herald-allocator alone.
        for rule in leases where rule.verbs != ["create"] {
            #expect(rule.names == [KubernetesMode.allocatorLease])
            #expect(!rule.verbs.contains("delete") && !rule.verbs.contains("list") && !rule.verbs.contains("watch"))
        }
        #expect(leases.flatMap(\.verbs).contains("update"))
    }

    @Test func theAllInOneAccountHasBoth() {
        let all = rules(of: "herald")
        #expect(verbs(all, "services/status").contains("patch"))
        #expect(verbs(all, "nodes").contains("watch"))
        #expect(verbs(all, "namespaces").contains("watch"))
        #expect(verbs(all, "leases", group: "coordination.k8s.io").contains("delete"))
    }

    @Test func eachRoleRunsItsOwnParts() {
        #expect(KubernetesMode.parts(.speaker) == [.nodes, .endpointSlices, .membership])
        #expect(KubernetesMode.parts(.allocator) == [.namespaces, .allocator])
        #expect(KubernetesMode.parts(.all) == [.namespaces, .allocator, .nodes, .endpointSlices, .membership])
    }
}
