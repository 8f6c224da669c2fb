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
            documents.append(Self.document(object))
        }
    }

    static func document<Kind: MetalLBKind>(_ object: MetalLBResource<Kind>) -> Document {
        let meta = object.metadata
        let reference = ObjectReference(
            apiVersion: MetalLBResource<Kind>.apiVersion, kind: Kind.kind, namespace: meta.namespace, name: meta.name,
            uid: meta.uid)
        var metadata: [String: JSONValue] = [:]
        if let name = meta.name { metadata["name"] = .string(name) }
        if let namespace = meta.namespace { metadata["namespace"] = .string(namespace) }
        if let labels = meta.labels, !labels.isEmpty { metadata["labels"] = .object(labels.mapValues { .string($0) }) }
        var document: [String: JSONValue] = [
            "apiVersion": .string(MetalLBResource<Kind>.apiVersion), "kind": .string(Kind.kind),
            "metadata": .object(metadata),
        ]
        if let spec = object.spec { document["spec"] = spec }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let text = (try? encoder.encode(JSONValue.object(document))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let file = "\(Kind.plural)/\(meta.namespace ?? "")/\(meta.name ?? "")"
        return Document(reference: reference, file: file, text: text + "\n")
    }

    /// Reads every document as `herald convert` reads a manifest, and translates them together.
    package func translate(passwordDirectory: String) -> Conversion {
        var objects = MetalLBConfiguration()
        var reading: [Diagnostic] = []
        for document in documents {
            let (read, problems) = MetalLBManifests.parse(document.text, file: document.file)
            objects.append(read)
            reading += problems
        }
        return MetalLBDerivation.translate(objects, reading: reading, passwordDirectory: passwordDirectory)
    }

    /// The object a diagnostic is about, by its place.
    package func reference(of diagnostic: Diagnostic) -> ObjectReference? {
        documents.first { $0.file == diagnostic.location.file }?.reference
    }
}
