import Foundation
import HandoverManifest
import HandoverModel
import TestSupport
import Testing

/// Replays the manifest fuzz target's regression corpus (Tests/Corpus/manifest,
/// see docs/ROBUSTNESS.md): every input, in JSON and in YAML, parses to a
/// state whose canonical JSON parses back to it, or fails with a
/// ManifestError (a crash fails the whole run). An input with a
/// `NAME.expected` file beside it was added for a finding, and must fail
/// with exactly that error in the format its name implies.
@Suite struct ManifestCorpusReplayTests {
    static var inputs: [String] { Corpus.inputs("manifest") }

    @Test func corpusIsPresent() {
        #expect(Self.inputs.count >= 3)
        #expect(Self.inputs.filter { $0.hasPrefix("finding-") }.count >= 3)
    }

    @Test(arguments: inputs) func replay(_ name: String) throws {
        let (bytes, expected) = try Corpus.load("manifest", name)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            #expect(expected == nil, "a finding must be UTF-8 text")
            return
        }
        let own = ManifestFormat(path: name)
        for format in [ManifestFormat.json, .yaml] {
            let exact = format == own ? expected : nil
            do {
                let state = try HandoverManifest.parse(text, format: format, defaultGeneration: .khoV2Prerelease)
                #expect(exact == nil, "\(name) (\(format)) parsed, expected: \(exact ?? "")")
                #expect(try HandoverManifest.parse(HandoverManifest.render(state)) == state)
            } catch {
                if let exact { #expect("\(error)" == exact, "\(name) (\(format))") }
            }
        }
    }
}
