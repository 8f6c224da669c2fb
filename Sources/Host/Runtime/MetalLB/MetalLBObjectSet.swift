import Foundation
import HeraldConfigModel
import HeraldKubeModels
import HeraldMetalLB

/// MetalLB's objects as read from a cluster, turned into the text `herald convert` reads: each object is one
/// document (pretty-printed JSON, which is YAML) named after the object, so that every problem's place
/// (`ipaddresspools/metallb-system/default:7:9`) says which object and which line of `kubectl get -o json` it is.
package struct MetalLBObjectSet: Sendable, Equatable {
    /// One object: its reference (for Events) and its document.
    package struct Document: Sendable, Equatable {
        package var reference: ObjectReference
        /// `PLURAL/NAMESPACE/NAME`, the file name of its diagnostics.
        package var file: String
        package var text: String
    }

    package var documents: [Document] = []

    package init() {}

    /// Adds `objects`, sorted by name (a list's order is the server's, and must not change the result).
    package mutating func add<Kind: MetalLBKind>(_ objects: [MetalLBResource<Kind>]) {
        for object in objects.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            var fields: [String: JSONValue] = [:]
            if let spec = object.spec { fields["spec"] = spec }
            add(MetalLBResource<Kind>.self, object.metadata, fields)
        }
    }

    /// Adds the `password` key of each of `secrets` (the basic-auth Secrets of MetalLB's namespace), sorted by name, as
    /// the documents `herald convert` reads for the Secrets a BGPPeer's `passwordSecret` names. No other key is kept.
    package mutating func add(secrets: [Secret]) {
        for secret in secrets.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            var fields: [String: JSONValue] = [:]
            if let type = secret.type { fields["type"] = .string(type) }
            if let password = secret.data?["password"] { fields["data"] = .object(["password": .string(password)]) }
            add(Secret.self, secret.metadata, fields)
        }
    }

    /// One object as a document: its identity (apiVersion, kind, name, namespace, labels) and `fields`.
    private mutating func add<Resource: KubeResource>(
        _ type: Resource.Type, _ meta: ObjectMeta, _ fields: [String: JSONValue]
    ) {
        var metadata: [String: JSONValue] = [:]
        if let name = meta.name { metadata["name"] = .string(name) }
        if let namespace = meta.namespace { metadata["namespace"] = .string(namespace) }
        if let labels = meta.labels, !labels.isEmpty { metadata["labels"] = .object(labels.mapValues { .string($0) }) }
        var document = fields
        document["apiVersion"] = .string(Resource.apiVersion)
        document["kind"] = .string(Resource.kind)
        document["metadata"] = .object(metadata)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let text = (try? encoder.encode(JSONValue.object(document))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        documents.append(
            Document(
                reference: ObjectReference(
                    apiVersion: Resource.apiVersion, kind: Resource.kind, namespace: meta.namespace, name: meta.name,
                    uid: meta.uid),
                file: "\(Resource.plural)/\(meta.namespace ?? "")/\(meta.name ?? "")", text: text + "\n"))
    }

    /// Reads every document as `herald convert` reads a manifest, and translates them together. `namespace`: the
    /// objects' namespace, whose basic-auth Secrets the set holds (``add(secrets:)``).
    package func translate(passwordDirectory: String, namespace: String? = nil) -> Conversion {
        var objects = MetalLBConfiguration()
        var reading: [Diagnostic] = []
        for document in documents {
            let (read, problems) = MetalLBManifests.parse(document.text, file: document.file)
            objects.append(read)
            reading += problems
        }
        return MetalLBDerivation.translate(
            objects, reading: reading, passwordDirectory: passwordDirectory, secretsNamespace: namespace)
    }

    /// The object a diagnostic is about, by its place.
    package func reference(of diagnostic: Diagnostic) -> ObjectReference? {
        documents.first { $0.file == diagnostic.location.file }?.reference
    }
}
