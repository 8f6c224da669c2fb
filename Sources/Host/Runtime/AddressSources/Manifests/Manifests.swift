import Foundation
import HeraldConfig
import HeraldConfigModel
import HeraldKube
import HeraldKubeModels
import Yams

/// The Kubernetes objects of a manifest directory that Herald reads: Services, Namespaces, Nodes and EndpointSlices.
/// Other kinds are ignored (a directory may hold a whole application's manifests).
package struct Manifests: Sendable, Equatable {
    package var services: [Service] = []
    package var namespaces: [Namespace] = []
    package var nodes: [HeraldKubeModels.Node] = []
    package var endpointSlices: [EndpointSlice] = []

    package init() {}

    /// Adds the objects of `other` (another file).
    package mutating func append(_ other: Manifests) {
        services += other.services
        namespaces += other.namespaces
        nodes += other.nodes
        endpointSlices += other.endpointSlices
    }

    /// The labels of every namespace, by name.
    package var namespaceLabels: [String: [String: String]] {
        Dictionary(
            namespaces.map { ($0.metadata.name ?? "", $0.metadata.labels ?? [:]) }, uniquingKeysWith: { a, _ in a })
    }

    /// Reads one file's text (one or more YAML documents), within ``YAMLLimits/standard``. Pure. Every problem is reported with its place; a file with
    /// any problem yields no objects, so that the caller keeps what the file held before.
    package static func parse(_ text: String, file: String) -> Result<Manifests, ConfigErrors> {
        var result = Manifests()
        var problems: [Diagnostic] = []
        var documents: [Yams.Node] = []
        // The same bounds and syntax checks as herald.yaml, before any value is built (aliases, size, duplicates).
        let limits = YAMLLimits.standard.problems(in: text, file: file, multipleDocuments: true)
        guard limits.isEmpty else { return .failure(ConfigErrors(limits)) }
        do {
            // The sequence keeps a parse error instead of throwing it: check it after the last document.
            var sequence = try Yams.compose_all(yaml: text)
            while let document = sequence.next() { documents.append(document) }
            if let error = sequence.error { throw error }
        } catch let error as YamlError {
            return .failure(ConfigErrors([diagnostic(error, file: file)]))
        } catch {
            return .failure(ConfigErrors([Diagnostic(.init(file: file, line: 1, column: 1), "invalid YAML: \(error)")]))
        }
        for document in documents {
            let location = SourceLocation(
                file: file, line: document.mark?.line ?? 1, column: document.mark?.column ?? 1)
            guard let mapping = document.mapping else {
                problems.append(Diagnostic(location, "a manifest must be a mapping with apiVersion and kind"))
                continue
            }
            let kind = mapping["kind"]?.string ?? ""
            if kind == "List" {
                for item in mapping["items"]?.sequence ?? [] {
                    decode(item, kind: item.mapping?["kind"]?.string ?? "", file: file, into: &result, &problems)
                }
            } else {
                decode(document, kind: kind, file: file, into: &result, &problems)
            }
        }
        return problems.isEmpty ? .success(result) : .failure(ConfigErrors(problems))
    }

    private static func decode(
        _ node: Yams.Node, kind: String, file: String, into result: inout Manifests, _ problems: inout [Diagnostic]
    ) {
        let location = SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        do {
            let json = try JSONSerialization.data(withJSONObject: jsonValue(node), options: [.fragmentsAllowed])
            let decoder = JSONDecoder()
            switch kind {
            case Service.kind:
                var service = try decoder.decode(Service.self, from: json)
                if service.metadata.namespace == nil { service.metadata.namespace = "default" }
                result.services.append(service)
            case Namespace.kind: result.namespaces.append(try decoder.decode(Namespace.self, from: json))
            case HeraldKubeModels.Node.kind:
                result.nodes.append(try decoder.decode(HeraldKubeModels.Node.self, from: json))
            case EndpointSlice.kind:
                var slice = try decoder.decode(EndpointSlice.self, from: json)
                if slice.metadata.namespace == nil { slice.metadata.namespace = "default" }
                result.endpointSlices.append(slice)
            case "":
                problems.append(Diagnostic(location, "the document has no kind"))
            default:
                break
            }
        } catch let error as DecodingError {
            problems.append(Diagnostic(location, "\(kind): \(describe(error))"))
        } catch {
            problems.append(Diagnostic(location, "\(kind): \(error)"))
        }
    }

    /// The JSON value of a YAML node: Kubernetes manifests are JSON written as YAML, so scalars keep their YAML
    /// types (a port is a number, an annotation must be a string).
    static func jsonValue(_ node: Yams.Node) -> Any {
        switch node {
        case .mapping(let mapping):
            var object: [String: Any] = [:]
            for (key, value) in mapping { object[key.string ?? "\(key)"] = jsonValue(value) }
            return object
        case .sequence(let sequence):
            return sequence.map(jsonValue)
        case .scalar:
            let value = node.any
            if value is NSNull { return NSNull() }
            if let bool = value as? Bool { return bool }
            if let int = value as? Int { return int }
            if let double = value as? Double { return double }
            return node.string ?? "\(value)"
        case .alias(let alias):
            return "\(alias)"
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "\(parent.isEmpty ? "" : parent + ".")\(key.stringValue) is required"
        @unknown default:
            return "\(error)"
        }
    }

    static func diagnostic(_ error: YamlError, file: String) -> Diagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return Diagnostic(.init(file: file, line: mark.line, column: mark.column), "invalid YAML: \(problem)")
        default:
            return Diagnostic(.init(file: file, line: 1, column: 1), "invalid YAML: \(error)")
        }
    }
}
