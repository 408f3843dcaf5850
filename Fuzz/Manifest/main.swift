// libFuzzer target: the manifest parser (JSON and YAML) on raw text, with a
// round-trip oracle: whatever parses renders to canonical JSON that parses
// back to the same state. Built by tools/fuzz.sh (the package in Fuzz/); see docs/ROBUSTNESS.md.
import FuzzCommon
import HandoverManifest
import HandoverModel

runFuzzer(fuzzManifest)

/// One execution on `size` bytes at `data` (libFuzzer's `LLVMFuzzerTestOneInput`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }  // libFuzzer always passes a buffer
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
    for format in [ManifestFormat.json, .yaml] {
        do {
            let state = try HandoverManifest.parse(text, format: format)
            let rendered = HandoverManifest.render(state)
            let again: HandoverState
            do { again = try HandoverManifest.parse(rendered, format: .json) } catch {
                fatalError("canonical JSON does not parse: \(error)\n\(rendered)")
            }
            precondition(again == state, "canonical JSON parses to another state:\n\(rendered)")
        } catch {
            _ = error.description
        }
    }
    return 0
}
