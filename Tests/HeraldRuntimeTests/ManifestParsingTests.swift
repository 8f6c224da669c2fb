import HeraldConfigModel
import Testing

@testable import HeraldRuntime

/// Manifest files are read within the same limits as herald.yaml: nested aliases are refused at their place before
/// any value is built, and a duplicate key is an error, not a silent overwrite.
@Suite struct ManifestParsingTests {
    @Test func aliasBombIsRefusedAtItsPlace() {
        var text = "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\nx0: &a0 [lol, lol, lol, lol]\n"
        for level in 1...12 {
            let previous = "*a\(level - 1)"
            text += "x\(level): &a\(level) [\(Array(repeating: previous, count: 8).joined(separator: ", "))]\n"
        }
        let start = ContinuousClock.now
        guard case .failure(let errors) = Manifests.parse(text, file: "bomb.yaml") else {
            Issue.record("an alias bomb was read")
            return
        }
        #expect(ContinuousClock.now - start < .seconds(1))
        let first = errors.diagnostics.first
        #expect(first?.location.file == "bomb.yaml" && (first?.location.line ?? 0) > 4, "\(errors)")
    }

    @Test func aDuplicateKeyIsAnError() {
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n  namespace: ns\n"
        guard case .failure(let errors) = Manifests.parse(text, file: "dup.yaml") else {
            Issue.record("a duplicate key was read")
            return
        }
        #expect(errors.diagnostics.contains { $0.location.line == 5 }, "\(errors)")
    }
}
