// libFuzzer target: the image reader on a valid image with a few bytes
// patched. The input is a list of patches, each a little-endian u32 file
// offset (taken modulo the image size), a length byte and that many bytes;
// the rest of the image stays valid, so mutations reach the deep structures
// (sessions, FLBs, memfd folios, the radix tree) far more often than raw
// bytes do. The base image and the patch rule are in
// Tests/TestSupport/ImagePatchInput.swift, shared with the corpus replay.
// Built by tools/fuzz.sh (the package in Fuzz/); see docs/ROBUSTNESS.md.
import FDT
import FuzzCommon
import HandoverModel
import KHOImage
import TestSupport

runFuzzer(fuzzImagePatch)

/// One execution on `size` bytes at `data` (libFuzzer's `LLVMFuzzerTestOneInput`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImagePatch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }  // libFuzzer always passes a buffer
    let image = ImagePatchInput.patched(UnsafeBufferPointer(start: data, count: size))
    let first = decode(image.withUnsafeBufferPointer { FuzzInput.heap($0.baseAddress!, $0.count) })
    let second = decode(image.withUnsafeBufferPointer { FuzzInput.guarded($0.baseAddress!, $0.count) })
    precondition(first == second, "the outcome depends on where the bytes are")
    // Whatever the reader accepts without warnings, the writer must be able
    // to write again, and that image must read back to the same state. (A
    // memfd file kept as raw data holds an address of this layout; an FLB
    // with count 0 the writer refuses: docs/FORMAT.md section 3.1.)
    if case let .image(state, _, warnings) = first, warnings.isEmpty {
        let again: DecodedImage
        do {
            again = try KHOImageReader.decodeImage(ReadOnlyBytes(copying: try KHOImageWriter().encode(state).bytes))
        } catch {
            fatalError("the reader accepted a state the writer cannot round-trip: \(error)")
        }
        precondition(again.state == state, "a decoded state re-encodes to another state")
    }
    return 0
}
