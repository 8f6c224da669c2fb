import HeraldConfig
import HeraldConfigModel
import HeraldTestSupport
import Testing

/// Random corruptions of valid files: the parser never crashes, and every diagnostic points inside the file.
@Suite struct ConfigFuzzTests {
    static let alphabet = Array(" \t\n:-[]{},'\"#&*!|>%@`0123456789abcxyz./\\?".utf8)

    func mutate(_ text: String, _ rng: inout SplitMix64) -> String {
        var bytes = Array(text.utf8)
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: bytes[at] = Self.alphabet.randomElement(using: &rng)!
            case 1: bytes.insert(Self.alphabet.randomElement(using: &rng)!, at: at)
            case 2: bytes.remove(at: at)
            default:
                // Duplicate a slice: repeated keys, nested structures.
                let end = min(bytes.count, at + Int.random(in: 1...40, using: &rng))
                bytes.insert(contentsOf: bytes[at..<end], at: at)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func mutatedConfigsNeverCrashAndStayLocated() {
        var rng = SplitMix64(seed: 0x4845_5241_4C44)
        var accepted = 0
        var rejected = 0
        for _ in 0..<3000 {
            let text = mutate(ConfigParserTests.valid, &rng)
            let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count + 1
            switch ConfigParser.parse(text, file: "fuzz.yaml", pluginInstances: ["arp", "bgp"]) {
            case .success: accepted += 1
            case .failure(let errors):
                rejected += 1
                #expect(!errors.diagnostics.isEmpty)
                for d in errors.diagnostics {
                    #expect(d.location.file == "fuzz.yaml")
                    #expect((1...lineCount).contains(d.location.line), "\(d) is outside the file")
                    #expect(d.location.column >= 1)
                }
            }
        }
        #expect(accepted + rejected == 3000)
        #expect(rejected > 1000)
    }

    @Test func mutatedPluginFilesNeverCrash() {
        var rng = SplitMix64(seed: 7)
        let valid = "name: edge\nlibrary: herald-exec\nenabled: true\nconfig:\n  announce: [/bin/true]\n  withdraw: x\n"
        for _ in 0..<3000 {
            if case .failure(let errors) = PluginInstanceSpec.parse(mutate(valid, &rng), file: "p.yaml") {
                #expect(!errors.diagnostics.isEmpty)
            }
        }
    }
}
